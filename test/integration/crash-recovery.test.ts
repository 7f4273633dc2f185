// A job survives kill -9 of the app: `cpt-studio serve` is killed mid-job, and the next start resumes it.
import { truncateSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Job } from '../../src/shared/jobs'
import { serve } from '../helpers/cli'
import { tempDir, waitFor } from '../helpers/temp'

async function call<T>(s: { origin: string; token: string }, channel: string, input: unknown): Promise<T> {
  const res = await fetch(`${s.origin}/api/${channel}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${s.token}` },
    body: JSON.stringify(input),
  })
  return ((await res.json()) as { data: T }).data
}

describe('crash recovery', () => {
  it('resumes a job left running by a killed server, without starting over', async () => {
    const tmp = tempDir()
    const env = { CPT_STUDIO_HOME: path.join(tmp.dir, 'home') }
    const ws = path.join(tmp.dir, 'ws')
    const first = await serve(ws, env)
    try {
      // Two large files: the first is finished and saved before the kill, the second is not.
      for (const name of ['a.bin', 'b.bin']) {
        const f = path.join(ws, 'models', name)
        writeFileSync(f, '')
        truncateSync(f, 1.5 * 1024 ** 3)
      }
      const job = await call<Job>(first, 'jobs:start', { kind: 'workspace-check', deep: true })
      let progress = 0
      await waitFor(async () => {
        const [j] = await call<Job[]>(first, 'jobs:list', {})
        progress = j!.progress.done
        return j!.progress.done > 1.6 * 1024 ** 3
      }, 60_000, 'the first file to be hashed')
      first.child.kill('SIGKILL')
      await new Promise((r) => first.child.once('exit', r))

      const second = await serve(ws, env)
      try {
        const final = await waitFor(async () => {
          const j = (await call<Job[]>(second, 'jobs:list', {})).find((x) => x.id === job.id)
          return j && (j.status === 'succeeded' || j.status === 'failed') ? j : undefined
        }, 60_000, 'the resumed job to finish')
        expect(final.status).toBe('succeeded')
        expect(final.attempts).toBe(2)
        expect((final.result as { files: number }).files).toBe(2)
        const { lines } = await call<{ lines: string[] }>(second, 'jobs:log', { id: job.id })
        expect(lines.join('\n')).toMatch(/Resuming: 0 tables and 1 files already checked/)
        expect(progress).toBeGreaterThan(0)
      } finally {
        second.child.kill('SIGTERM')
      }
    } finally {
      first.child.kill('SIGKILL')
      tmp.cleanup()
    }
  })
})
