// The job runner with real worker processes (the built out/main/worker.js) on a real workspace.
import { existsSync, mkdirSync, truncateSync, utimesSync, writeFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Job } from '../../shared/jobs'
import { tempDir, waitFor } from '../../../test/helpers/temp'
import { EventBus } from '../engine-events'
import { defaultWorkerPath } from '../engine'
import { Workspace } from '../workspace/workspace'
import { JobRunner } from './job-runner'
import type { WorkspaceCheckResult } from './workspace-check'

let tmp: ReturnType<typeof tempDir>
let ws: Workspace
let runner: JobRunner
let seen: Job[]

async function openRunner(): Promise<JobRunner> {
  const events = new EventBus()
  events.subscribe((event, payload) => {
    if (event === 'job:changed') seen.push(payload as Job)
  })
  return JobRunner.open(ws.dir, ws.folder('jobs'), { workerPath: defaultWorkerPath(), events })
}

beforeEach(async () => {
  expect(existsSync(defaultWorkerPath()), 'build first: npm run build').toBe(true)
  tmp = tempDir()
  ws = await Workspace.create(path.join(tmp.dir, 'ws'))
  seen = []
  runner = await openRunner()
})
afterEach(async () => {
  await runner.close()
  ws.close()
  tmp.cleanup()
})

/** A large file that costs no disk: long enough to hash that a test can stop the job midway. */
function bigSparseFile(gib = 4): string {
  const file = path.join(ws.folder('models'), 'big.bin')
  writeFileSync(file, '')
  truncateSync(file, gib * 1024 ** 3)
  return file
}

describe('JobRunner', () => {
  it('runs the workspace check in a worker, streaming progress to 100%', async () => {
    mkdirSync(path.join(ws.folder('runs'), 'r1'))
    writeFileSync(path.join(ws.folder('runs'), 'r1', 'metrics.jsonl'), '{"step":1}\n'.repeat(1000))
    writeFileSync(path.join(ws.folder('shards'), 'a.bin'), Buffer.alloc(3 * 1024 * 1024, 7))
    const db = await ws.db()
    await db.createTable('documents', Array.from({ length: 300 }, (_, i) => ({ id: `d${i}`, text: `doc ${i}` })))

    const job = await runner.start({ kind: 'workspace-check', deep: false })
    await runner.idle()
    const done = runner.get(job.id)
    expect(done.status).toBe('succeeded')
    const result = done.result as WorkspaceCheckResult
    expect(result.tables).toEqual([{ name: 'documents', rows: 300, error: null }])
    expect(result.files).toBe(2)
    expect(result.added.sort()).toEqual(['runs/r1/metrics.jsonl', 'shards/a.bin'])
    expect(done.progress.done).toBe(done.progress.total)
    expect(done.progress.total).toBe(3 * 1024 * 1024 + 11 * 1000)
    const mine = seen.filter((j) => j.id === job.id)
    expect(mine.map((j) => j.seq)).toEqual([...mine.map((j) => j.seq)].sort((a, b) => a - b))
    expect(mine.map((j) => j.status)).toContain('running')
    expect((await runner.log(job.id, 50)).join('\n')).toMatch(/Table documents: 300 rows read/)
  })

  it('finds changed, missing and silently corrupted files on the next check', async () => {
    const a = path.join(ws.folder('shards'), 'a.bin')
    const b = path.join(ws.folder('shards'), 'b.bin')
    const c = path.join(ws.folder('shards'), 'c.bin')
    writeFileSync(a, 'aaaa')
    writeFileSync(b, 'bbbb')
    writeFileSync(c, 'cccc')
    await runner.start({ kind: 'workspace-check', deep: false })
    await runner.idle()

    const { atime, mtime } = statSync(a)
    writeFileSync(a, 'abab') // same size, time put back: only a rehash can see it
    utimesSync(a, atime, mtime)
    writeFileSync(b, 'bbbbbb')
    const { rmSync } = await import('node:fs')
    rmSync(c)
    const job = await runner.start({ kind: 'workspace-check', deep: true })
    await runner.idle()
    const result = runner.get(job.id).result as WorkspaceCheckResult
    expect(result.corrupted, JSON.stringify(result)).toEqual(['shards/a.bin'])
    expect(result.changed).toEqual(['shards/b.bin'])
    expect(result.missing).toEqual(['shards/c.bin'])
    expect(result.ok).toBe(false)
  })

  it('cancels a running job', async () => {
    bigSparseFile()
    const job = await runner.start({ kind: 'workspace-check', deep: true })
    await waitFor(() => runner.get(job.id).progress.done > 0, 30_000, 'hashing to start')
    await runner.cancel(job.id)
    await runner.idle()
    const final = runner.get(job.id)
    expect(final.status).toBe('cancelled')
    expect(final.progress.done).toBeLessThan(final.progress.total!)
    expect(existsSync(runner.store.statePath(job.id))).toBe(false)
    await expect(runner.cancel(job.id)).rejects.toThrow(/already stopped/)
  })

  it('runs a quick-lane job (sampling) while a long one runs, and queues a second long one', async () => {
    bigSparseFile()
    const long = await runner.start({ kind: 'workspace-check', deep: true })
    await waitFor(() => runner.get(long.id).progress.done > 0, 30_000, 'hashing to start')
    const queued = await runner.start({ kind: 'workspace-check', deep: false })
    const quick = await runner.start({ kind: 'sample', runId: 'no-such-run', prompt: 'x' })
    await waitFor(() => ['failed', 'succeeded'].includes(runner.get(quick.id).status), 30_000, 'the sample job to finish')
    expect(runner.get(quick.id).error?.message).toMatch(/no checkpoint/)
    expect(runner.get(long.id).status).toBe('running')
    expect(runner.get(queued.id).status).toBe('pending')
    await runner.cancel(long.id)
    await runner.idle()
    expect(runner.get(queued.id).status).toBe('succeeded')
  })

  it('pauses and resumes from the saved state', async () => {
    bigSparseFile(2)
    writeFileSync(path.join(ws.folder('shards'), 'small.bin'), 'x') // sorted after models/: hashed last
    const job = await runner.start({ kind: 'workspace-check', deep: true })
    await waitFor(() => runner.get(job.id).progress.done > 0, 30_000, 'hashing to start')
    await runner.pause(job.id)
    await waitFor(() => runner.get(job.id).status === 'paused', 30_000, 'pause')
    await runner.resume(job.id)
    await runner.idle()
    const final = runner.get(job.id)
    expect(final.status).toBe('succeeded')
    expect(final.attempts).toBe(2)
    expect((final.result as WorkspaceCheckResult).files).toBe(2)
  })

  it('reports an unknown job id clearly', async () => {
    expect(() => runner.get('nope')).toThrow(/No job with id nope/)
  })

  it('recovers a job left running by a crash: resumable jobs run again', async () => {
    await runner.close()
    // A record as a killed process leaves it: status running, no worker.
    const crashed: Job = {
      id: 'crashed-000001', kind: 'workspace-check', title: 'Workspace check', input: { kind: 'workspace-check', deep: false },
      status: 'running', progress: { done: 5, total: 10, unit: 'bytes', rate: null, etaSeconds: null, message: 'Hashing' },
      createdAt: new Date().toISOString(), startedAt: new Date().toISOString(), finishedAt: null, attempts: 1, error: null, result: null, seq: 7,
    }
    writeFileSync(path.join(ws.folder('jobs'), `${crashed.id}.json`), JSON.stringify(crashed))
    runner = await openRunner()
    await runner.idle()
    const job = runner.get(crashed.id)
    expect(job.status).toBe('succeeded')
    expect(job.attempts).toBe(2)
    expect(job.seq).toBeGreaterThan(7)
    expect((await runner.log(job.id, 10)).join('\n')).toMatch(/resumes from its last saved state/)
  })
})
