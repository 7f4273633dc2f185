// Web mode: serves the built renderer and the contract over HTTP on 127.0.0.1, behind a random token.
// POST /api/<channel> carries a request; GET /api/events streams events as server-sent events.
import http from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { ErrorCode } from '../../shared/errors'
import { dispatch } from '../dispatch'
import type { Engine } from '../engine'
import { createHandlers } from '../handlers'
import { CSP, SECURITY_HEADERS } from './security-headers'
import { serveStatic } from './static-files'

const MAX_BODY_BYTES = 1024 * 1024
const STATUS: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  not_found: 404,
  no_workspace: 409,
  conflict: 409,
  not_a_workspace: 422,
  workspace_too_new: 422,
  unsupported: 501,
  internal: 500,
}

export interface ServerOptions {
  engine: Engine
  port?: number
  rendererDir: string
  /** Fixed token (tests); random otherwise. */
  token?: string
}

export interface RunningServer {
  url: string
  origin: string
  token: string
  port: number
  close(): Promise<void>
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url')
  const handlers = createHandlers(opts.engine)
  const sseClients = new Set<http.ServerResponse>()
  const unsubscribe = opts.engine.events.subscribe((event, payload) => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`
    for (const res of sseClients) res.write(frame)
  })
  let port = opts.port ?? 0

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      console.error('web mode:', err)
      if (!res.headersSent) sendError(res, 500, 'internal', 'The server failed to answer this request.')
      else res.end()
    })
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v)
    const host = req.headers.host ?? ''
    // Refuse other Host names: a page on another site must not reach us through DNS rebinding.
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      return sendError(res, 403, 'unauthorized', `Unexpected Host header "${host}".`)
    }
    const url = new URL(req.url ?? '/', `http://${host}`)
    const given = url.searchParams.get('token') ?? bearer(req) ?? cookie(req, 'cpt_token')
    if (!given || !sameToken(given, token)) {
      return sendError(res, 401, 'unauthorized', 'A valid token is required: open the URL that `cpt-studio serve` printed.')
    }
    if (url.pathname === '/api/events' && req.method === 'GET') return openEvents(req, res)
    if (url.pathname.startsWith('/api/')) {
      if (req.method !== 'POST') return sendError(res, 405, 'invalid_input', 'Use POST for contract requests.')
      // Requests need the token in a header, not just the cookie, so other pages cannot forge them.
      if (!(bearer(req) && sameToken(bearer(req)!, token))) {
        return sendError(res, 401, 'unauthorized', 'Contract requests need the token in the Authorization header.')
      }
      return handleRequest(decodeURIComponent(url.pathname.slice('/api/'.length)), req, res)
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'invalid_input', 'Only GET is served here.')
    if (url.searchParams.has('token')) {
      res.setHeader('Set-Cookie', `cpt_token=${token}; HttpOnly; SameSite=Strict; Path=/`)
    }
    await serveStatic(opts.rendererDir, url.pathname, res, { 'Content-Security-Policy': CSP })
  }

  async function handleRequest(channel: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendError(res, 415, 'invalid_input', 'Send the request body as application/json.')
    }
    const body = await readBody(req)
    if (body === null) {
      return sendError(res, 413, 'invalid_input', `The request body is larger than ${MAX_BODY_BYTES} bytes.`)
    }
    let input: unknown
    try {
      input = body.trim() === '' ? {} : JSON.parse(body)
    } catch (err) {
      return sendError(res, 400, 'invalid_input', `The request body is not valid JSON: ${(err as Error).message}`)
    }
    const envelope = await dispatch(handlers, channel, input)
    if (envelope.ok) return sendJson(res, 200, { data: envelope.data })
    sendJson(res, STATUS[envelope.error.code as ErrorCode] ?? 500, { error: envelope.error })
  }

  function openEvents(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' })
    res.write(': connected\n\n')
    sseClients.add(res)
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
    req.on('close', () => {
      clearInterval(ping)
      sseClients.delete(res)
    })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  port = (server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`
  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    close: async () => {
      unsubscribe()
      for (const res of sseClients) res.end()
      sseClients.clear()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function bearer(req: http.IncomingMessage): string | null {
  const h = req.headers.authorization
  return h?.startsWith('Bearer ') ? h.slice(7) : null
}

function cookie(req: http.IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return v.join('=')
  }
  return null
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Reads the body; past the limit it keeps draining (so the client still gets its 413) but keeps nothing. */
function readBody(req: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size <= MAX_BODY_BYTES) chunks.push(c)
    })
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
  res.end(JSON.stringify(body))
}

function sendError(res: http.ServerResponse, status: number, code: ErrorCode, message: string): void {
  sendJson(res, status, { error: { code, message } })
}
