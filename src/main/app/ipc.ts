// The Electron IPC binding: one ipcMain handler per contract channel, events forwarded to every window.
// The only file besides the preload that touches Electron's IPC (a lint rule keeps it that way).
import { BrowserWindow, ipcMain } from 'electron'
import { CHANNELS, IPC_EVENT_CHANNEL } from '../../shared/contract'
import { dispatch } from '../dispatch'
import type { Engine } from '../engine'
import { createHandlers } from '../handlers'

export function bindIpc(engine: Engine): () => void {
  const handlers = createHandlers(engine)
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (_event, input: unknown) => dispatch(handlers, channel, input))
  }
  const unsubscribe = engine.events.subscribe((event, payload) => {
    for (const win of BrowserWindow.getAllWindows()) win.webContents.send(IPC_EVENT_CHANNEL, event, payload)
  })
  return () => {
    unsubscribe()
    for (const channel of CHANNELS) ipcMain.removeHandler(channel)
  }
}
