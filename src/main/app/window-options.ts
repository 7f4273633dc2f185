// The BrowserWindow security options, kept as plain data so a test can check them without Electron.
import path from 'node:path'

export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  } as const
}

export function windowOptions(outDir: string) {
  return {
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'CPT Studio',
    icon: path.join(outDir, '../../resources/icon.png'),
    webPreferences: secureWebPreferences(path.join(outDir, '../preload/index.js')),
  }
}

/** Only web links leave the app, and only through the system browser. */
export function isExternalUrl(url: string): boolean {
  try {
    const u = new URL(url)
    return u.protocol === 'https:' || u.protocol === 'http:'
  } catch {
    return false
  }
}
