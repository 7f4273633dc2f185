// Both bindings come from the one contract: every channel has exactly one handler, one IPC handler,
// one preload function and one HTTP route (the last is tested in server.test.ts).
// Electron itself cannot run here (no binary), so its module is replaced at this true external boundary.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CHANNELS, type Envelope, IPC_EVENT_CHANNEL } from '../shared/contract'
import { engineWithWorkspace } from '../../test/helpers/engine'
import { createHandlers } from './handlers'

const electron = vi.hoisted(() => ({
  handled: new Map<string, (e: unknown, input: unknown) => Promise<unknown>>(),
  handleCalls: [] as string[],
  sent: [] as unknown[][],
  exposed: {} as Record<string, unknown>,
  invoked: [] as unknown[][],
}))

vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (e: unknown, input: unknown) => Promise<unknown>) => {
      electron.handleCalls.push(channel)
      electron.handled.set(channel, fn)
    },
    removeHandler: (channel: string) => electron.handled.delete(channel),
  },
  BrowserWindow: { getAllWindows: () => [{ webContents: { send: (...args: unknown[]) => electron.sent.push(args) } }] },
  webUtils: { getPathForFile: () => '/dropped/file' },
  contextBridge: { exposeInMainWorld: (key: string, api: Record<string, unknown>) => (electron.exposed[key] = api) },
  ipcRenderer: {
    invoke: async (...args: unknown[]) => {
      electron.invoked.push(args)
      return { ok: true, data: null }
    },
    on: () => undefined,
  },
}))

let env: Awaited<ReturnType<typeof engineWithWorkspace>>
beforeAll(async () => (env = await engineWithWorkspace()))
afterAll(async () => env.cleanup())

describe('one contract, two bindings', () => {
  it('has exactly one handler per channel and nothing else', () => {
    expect(Object.keys(createHandlers(env.engine)).sort()).toEqual([...CHANNELS].sort())
  })

  it('registers one IPC handler per channel that validates input', async () => {
    const { bindIpc } = await import('./app/ipc')
    const unbind = bindIpc(env.engine)
    expect([...electron.handleCalls].sort()).toEqual([...CHANNELS].sort())
    const info = (await electron.handled.get('workspace:current')!({}, {})) as Envelope<{ path: string }>
    expect(info).toEqual({ ok: true, data: expect.objectContaining({ path: env.dir }) })
    const bad = (await electron.handled.get('workspace:open')!({}, { path: 7 })) as Envelope<unknown>
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error.code).toBe('invalid_input')
    env.engine.events.emit('job:log', { id: 'x', line: 'hello' })
    expect(electron.sent).toContainEqual([IPC_EVENT_CHANNEL, 'job:log', { id: 'x', line: 'hello' }])
    unbind()
    expect(electron.handled.size).toBe(0)
  })

  it('exposes one preload function per channel, never ipcRenderer itself', async () => {
    await import('../preload/index')
    const api = electron.exposed.cptStudio as Record<string, unknown>
    expect(Object.keys(api).sort()).toEqual([...CHANNELS, 'on', 'pathForFile'].sort())
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true)
    await (api['jobs:list'] as (i: unknown) => Promise<unknown>)({})
    expect(electron.invoked).toContainEqual(['jobs:list', {}])
  })
})
