// The desktop security baseline, checked on the plain data the shell passes to Electron,
// and the lint rule that keeps raw IPC out of every file but the two bindings.
import { ESLint } from 'eslint'
import { describe, expect, it } from 'vitest'
import { CSP } from '../server/security-headers'
import { isExternalUrl, secureWebPreferences, windowOptions } from './window-options'

describe('security baseline', () => {
  it('opens windows with context isolation and the sandbox on, Node integration off', () => {
    const prefs = secureWebPreferences('/x/preload.js')
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, webviewTag: false })
    expect(windowOptions('/app/out/main').webPreferences.preload).toBe('/app/out/preload/index.js')
  })

  it('has a strict Content-Security-Policy', () => {
    expect(CSP).toContain("default-src 'self'")
    expect(CSP).toContain("script-src 'self'")
    expect(CSP).not.toMatch(/script-src[^;]*unsafe/)
    expect(CSP).toContain("object-src 'none'")
    expect(CSP).toContain("frame-ancestors 'none'")
  })

  it('sends only web links to the system browser', () => {
    expect(isExternalUrl('https://arxiv.org/abs/2407.18743')).toBe(true)
    expect(isExternalUrl('file:///etc/passwd')).toBe(false)
    expect(isExternalUrl('javascript:alert(1)')).toBe(false)
    expect(isExternalUrl('not a url')).toBe(false)
  })

  it('lint forbids raw ipcRenderer/ipcMain outside the bindings', async () => {
    const eslint = new ESLint()
    const code = "import { ipcRenderer } from 'electron'\nexport const x = ipcRenderer\n"
    const [elsewhere] = await eslint.lintText(code, { filePath: 'src/renderer/src/lib/sneaky.ts' })
    expect(elsewhere!.messages.map((m) => m.ruleId)).toContain('no-restricted-imports')
    const [binding] = await eslint.lintText(code, { filePath: 'src/preload/index.ts' })
    expect(binding!.messages.map((m) => m.ruleId)).not.toContain('no-restricted-imports')
  })
})
