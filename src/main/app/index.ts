// The Electron shell: lifecycle, the window, the menu, CSP, and the IPC binding. Everything else is the engine.
import { BrowserWindow, Menu, app, dialog, session, shell } from 'electron'
import path from 'node:path'
import { Engine } from '../engine'
import { CSP } from '../server/security-headers'
import { bindIpc } from './ipc'
import { isExternalUrl, windowOptions } from './window-options'

let engine: Engine | null = null

async function createWindow(): Promise<void> {
  const win = new BrowserWindow(windowOptions(__dirname))
  win.on('ready-to-show', () => win.show())
  // No page of ours opens windows or navigates away: web links go to the system browser.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isExternalUrl(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event, url) => {
    if (url !== win.webContents.getURL()) {
      event.preventDefault()
      if (isExternalUrl(url)) void shell.openExternal(url)
    }
  })
  const update = () => win.setTitle(engine?.workspace ? `${engine.workspace.name} — CPT Studio` : 'CPT Studio')
  engine?.events.subscribe((event) => event === 'workspace:changed' && update())
  update()
  if (process.env.ELECTRON_RENDERER_URL) await win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else await win.loadFile(path.join(__dirname, '../renderer/index.html'))
}

app.whenReady().then(async () => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } })
  })
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  engine = await Engine.create({
    host: {
      kind: 'electron',
      pickFolder: async (title) => {
        const res = await dialog.showOpenDialog({ title, properties: ['openDirectory', 'createDirectory'] })
        return res.canceled ? null : (res.filePaths[0] ?? null)
      },
      openExternal: (url) => shell.openExternal(url),
    },
  })
  await engine.openLastWorkspace()
  bindIpc(engine)
  Menu.setApplicationMenu(Menu.buildFromTemplate([{ role: 'fileMenu' }, { role: 'editMenu' }, { role: 'viewMenu' }, { role: 'windowMenu' }]))
  await createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow()
  })
}).catch((err: unknown) => {
  dialog.showErrorBox('CPT Studio could not start', String(err))
  app.quit()
})

let quitting = false
app.on('before-quit', (event) => {
  if (quitting || !engine) return
  // Stop job workers cleanly first, so resumable jobs resume at the next start.
  event.preventDefault()
  quitting = true
  void engine.shutdown().finally(() => app.quit())
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
