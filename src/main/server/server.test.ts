// Web mode over real HTTP: token, Host check, input validation, structured errors, events, static files.
import http from 'node:http'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHANNELS } from '../../shared/contract'
import { engineWithWorkspace } from '../../../test/helpers/engine'
import { tempDir } from '../../../test/helpers/temp'
import { type RunningServer, startServer } from './server'

let server: RunningServer
let env: Awaited<ReturnType<typeof engineWithWorkspace>>
const renderer = tempDir('cpt-renderer-')

beforeAll(async () => {
  env = await engineWithWorkspace()
  writeFileSync(path.join(renderer.dir, 'index.html'), '<!doctype html><title>app</title>')
  mkdirSync(path.join(renderer.dir, 'assets'))
  writeFileSync(path.join(renderer.dir, 'assets', 'app.js'), 'console.log(1)')
  server = await startServer({ engine: env.engine, rendererDir: renderer.dir })
})
afterAll(async () => {
  await server.close()
  await env.cleanup()
  renderer.cleanup()
})

function post(channel: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${server.origin}/api/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, ...headers },
    body,
  })
}

/** Raw request, for headers fetch will not let us set (Host). */
function raw(pathname: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: server.port, path: pathname, headers }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    }).on('error', reject)
  })
}

describe('web mode', () => {
  it('binds to 127.0.0.1 and prints a URL with the token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/)
  })

  it('refuses every request without the token', async () => {
    expect((await fetch(`${server.origin}/`)).status).toBe(401)
    expect((await fetch(`${server.origin}/?token=wrong`)).status).toBe(401)
    const res = await fetch(`${server.origin}/api/app:info`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized')
  })

  it('does not accept the cookie alone for contract requests', async () => {
    const res = await fetch(`${server.origin}/api/app:info`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: `cpt_token=${server.token}` },
      body: '{}',
    })
    expect(res.status).toBe(401)
  })

  it('refuses foreign Host headers (DNS rebinding)', async () => {
    expect(await raw(`/?token=${server.token}`, { Host: 'evil.example:80' })).toBe(403)
    expect(await raw(`/?token=${server.token}`, { Host: `localhost:${server.port}` })).toBe(200)
  })

  it('serves the app with a strict CSP and sets the session cookie', async () => {
    const res = await fetch(server.url)
    expect(res.status).toBe(200)
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("object-src 'none'")
    expect(csp).not.toContain('unsafe-eval')
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/)
    const cookie = `cpt_token=${server.token}`
    expect((await fetch(`${server.origin}/assets/app.js`, { headers: { Cookie: cookie } })).status).toBe(200)
    expect((await fetch(`${server.origin}/assets/..%2f..%2f..%2fetc%2fpasswd`, { headers: { Cookie: cookie } })).status).toBe(404)
  })

  it('answers contract requests with data', async () => {
    const res = await post('workspace:current', '{}')
    expect(res.status).toBe(200)
    const body = (await res.json()) as { data: { path: string } }
    expect(body.data.path).toBe(env.dir)
  })

  it('answers malformed bodies with 4xx and a message, never a crash', async () => {
    const cases: [string, string, Record<string, string>, number, string][] = [
      ['workspace:open', '{not json', {}, 400, 'not valid JSON'],
      ['workspace:open', '{"path": 42}', {}, 400, 'path'],
      ['workspace:open', '{"path": "/tmp", "extra": 1}', {}, 400, 'extra'],
      ['jobs:start', '{"kind": "format-disk"}', {}, 400, 'kind'],
      ['jobs:cancel', '{"id": "../../etc"}', {}, 400, 'job id'],
      ['no:such', '{}', {}, 404, 'Unknown channel'],
      ['app:info', '{}', { 'Content-Type': 'text/plain' }, 415, 'application/json'],
      ['app:info', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }), {}, 413, 'larger'],
    ]
    for (const [channel, body, headers, status, text] of cases) {
      const res = await post(channel, body, headers)
      expect(res.status, `${channel} ${body.slice(0, 30)}`).toBe(status)
      const json = (await res.json()) as { error: { code: string; message: string } }
      expect(json.error.message).toContain(text)
    }
    expect((await post('app:info', '{}')).status).toBe(200)
  })

  it('maps engine errors to status codes', async () => {
    const res = await post('workspace:open', JSON.stringify({ path: '/definitely/not/here' }))
    expect(res.status).toBe(404)
    const res2 = await post('jobs:cancel', JSON.stringify({ id: 'nope' }))
    expect(res2.status).toBe(404)
  })

  it('routes every channel of the contract to its validator and handler', async () => {
    for (const channel of CHANNELS) {
      // An input no channel accepts: proves the route exists without running anything.
      const res = await post(channel, '{"__probe": true}')
      expect(res.status, channel).toBe(400)
      const body = (await res.json()) as { error?: { message: string } }
      expect(body.error?.message ?? '', channel).not.toMatch(/Unknown channel/)
    }
  })

  it('streams events as server-sent events', async () => {
    const controller = new AbortController()
    const res = await fetch(`${server.origin}/api/events?token=${server.token}`, { signal: controller.signal })
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const started = await post('jobs:start', JSON.stringify({ kind: 'workspace-check' }))
    const { data: job } = (await started.json()) as { data: { id: string } }
    let text = ''
    while (!text.includes('"status":"succeeded"')) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    controller.abort()
    expect(text).toContain('event: job:changed')
    expect(text).toContain(job.id)
    expect(text).toContain('"status":"succeeded"')
  })
})
