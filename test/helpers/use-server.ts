// One `cpt-studio serve` per e2e spec file, on a fresh temporary folder: started before its tests, stopped
// and removed after them.
import path from 'node:path'
import { test } from '@playwright/test'
import { serve } from './cli'
import { tempDir } from './temp'

export interface TestServer {
  url: string
  origin: string
  token: string
  /** The temporary folder: the served workspace is `ws` in it, the app's home `home`. */
  dir: string
  /** The environment the server runs with (CPT_STUDIO_HOME), for `cli()` calls against the same home. */
  env: Record<string, string>
}

/**
 * Registers beforeAll/afterAll hooks that serve `<tmp>/ws` (after `prepare`, when given, has set it up) and
 * returns a getter for the running server.
 */
export function useServer(prefix: string, prepare?: (ws: string, env: Record<string, string>) => Promise<void>): () => TestServer {
  let server: (TestServer & { stop: () => void }) | undefined
  let cleanup: (() => void) | undefined
  test.beforeAll(async () => {
    const tmp = tempDir(prefix)
    cleanup = tmp.cleanup
    const env = { CPT_STUDIO_HOME: path.join(tmp.dir, 'home') }
    const ws = path.join(tmp.dir, 'ws')
    await prepare?.(ws, env)
    const s = await serve(ws, env)
    server = { url: s.url, origin: s.origin, token: s.token, dir: tmp.dir, env, stop: () => s.child.kill('SIGTERM') }
  })
  test.afterAll(() => {
    server?.stop()
    cleanup?.()
  })
  return () => {
    if (!server) throw new Error('useServer: the server is not running (read it inside a test)')
    return server
  }
}
