// Serves the built renderer's files, resolving every path inside its folder.
import { promises as fs } from 'node:fs'
import type http from 'node:http'
import path from 'node:path'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

export async function serveStatic(root: string, urlPath: string, res: http.ServerResponse, headers: Record<string, string>): Promise<void> {
  const rel = decodeURIComponent(urlPath).replace(/^\/+/, '') || 'index.html'
  const file = path.resolve(root, rel)
  if (file !== root && !file.startsWith(root + path.sep)) {
    res.writeHead(404).end()
    return
  }
  let data: Buffer
  try {
    data = await fs.readFile(file)
  } catch {
    // Unknown paths get the app itself: the renderer owns its routes.
    if (path.extname(rel)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found')
      return
    }
    data = await fs.readFile(path.join(root, 'index.html'))
    return void res.writeHead(200, { ...headers, 'Content-Type': TYPES['.html'], 'Cache-Control': 'no-store' }).end(data)
  }
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream'
  const cache = rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store'
  res.writeHead(200, { ...headers, 'Content-Type': type, 'Cache-Control': cache }).end(data)
}
