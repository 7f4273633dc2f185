// The preload: exposes one typed function per contract channel and event subscription as window.cptStudio.
// Runs sandboxed with context isolation; the renderer never sees ipcRenderer itself.
import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { CHANNELS, type Envelope, IPC_EVENT_CHANNEL } from '../shared/contract'

type Listener = (payload: unknown) => void
const listeners = new Map<string, Set<Listener>>()
ipcRenderer.on(IPC_EVENT_CHANNEL, (_e, event: string, payload: unknown) => {
  for (const l of listeners.get(event) ?? []) l(payload)
})

const api: Record<string, unknown> = {
  on(event: string, listener: Listener): () => void {
    const set = listeners.get(event) ?? new Set()
    set.add(listener)
    listeners.set(event, set)
    return () => set.delete(listener)
  },
  pathForFile: (file: File) => webUtils.getPathForFile(file),
}
for (const channel of CHANNELS) {
  api[channel] = (input: unknown) => ipcRenderer.invoke(channel, input) as Promise<Envelope<unknown>>
}

contextBridge.exposeInMainWorld('cptStudio', api)
