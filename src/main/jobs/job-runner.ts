// The job runner: creates jobs, runs each in its own worker process, persists every change,
// streams changes as events, and recovers jobs that a crash or kill left running.
import { type ChildProcess, fork } from 'node:child_process'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { AppError, type ErrorInfo, invalidInput } from '../../shared/errors'
import { FINISHED_STATUSES, type Job, JobInput, type JobProgress, type JobRequest } from '../../shared/jobs'
import type { EventSink } from '../engine-events'
import { jobKind } from './job-kinds'
import { JobStore } from './job-store'
import type { FromWorker, ToWorker } from './worker-protocol'

type StopReason = Extract<ToWorker, { type: 'stop' }>['reason']
interface Running {
  child: ChildProcess
  stopping: StopReason | null
  outcome: FromWorker | null
  exited: Promise<void>
}

const PERSIST_INTERVAL_MS = 1000
const KILL_AFTER_MS = 10_000

export interface JobRunnerOptions {
  /** The built worker entry (out/main/worker.js). */
  workerPath: string
  events: EventSink
}

export class JobRunner {
  private readonly jobs = new Map<string, Job>()
  private readonly running = new Map<string, Running>()
  private readonly dirty = new Set<string>()
  private persistTimer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()
  private closed = false
  readonly store: JobStore

  private constructor(
    jobsDir: string,
    private readonly workspaceDir: string,
    private readonly opts: JobRunnerOptions,
  ) {
    this.store = new JobStore(jobsDir)
  }

  /** Loads the workspace's jobs and resumes or marks interrupted those a crash left running. */
  static async open(workspaceDir: string, jobsDir: string, opts: JobRunnerOptions): Promise<JobRunner> {
    await fs.mkdir(jobsDir, { recursive: true })
    await acquireLock(path.join(jobsDir, 'runner.lock'))
    const runner = new JobRunner(jobsDir, workspaceDir, opts)
    const { jobs, damaged } = await runner.store.loadAll()
    for (const file of damaged) console.warn(`Skipping damaged job record ${file}`)
    for (const job of jobs) {
      runner.jobs.set(job.id, job)
      if (job.status !== 'running') continue
      if (jobKind(job.kind)?.resumable) {
        await runner.store.appendLog(job.id, ['The app stopped while this job ran; it resumes from its last saved state.'])
        runner.change(job.id, { status: 'pending', progress: { ...job.progress, message: 'Waiting to resume' } }, true)
      } else {
        runner.change(job.id, {
          status: 'interrupted',
          finishedAt: new Date().toISOString(),
          error: { code: 'internal', message: 'The app stopped while this job ran. Start it again.' },
        }, true)
      }
    }
    await runner.flush()
    runner.schedule()
    return runner
  }

  list(): Job[] {
    return [...this.jobs.values()]
  }

  get(id: string): Job {
    const job = this.jobs.get(id)
    if (!job) throw new AppError('not_found', `No job with id ${id} in this workspace.`, { id })
    return job
  }

  async start(request: JobRequest): Promise<Job> {
    const parsed = JobInput.safeParse(request)
    if (!parsed.success) throw invalidInput(`a ${String((request as { kind?: unknown }).kind)} job`, parsed.error)
    const input = parsed.data
    const spec = jobKind(input.kind)
    if (!spec) throw new AppError('unsupported', `Unknown job kind "${input.kind}".`)
    const job: Job = {
      id: JobStore.newId(),
      kind: input.kind,
      title: spec.title(input as never),
      input,
      status: 'pending',
      progress: { done: 0, total: null, unit: 'items', rate: null, etaSeconds: null, message: 'Waiting to start' },
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      attempts: 0,
      error: null,
      result: null,
      seq: 0,
    }
    this.jobs.set(job.id, job)
    await this.store.save(job)
    this.opts.events.emit('job:changed', job)
    this.schedule()
    return this.get(job.id)
  }

  async cancel(id: string): Promise<Job> {
    const job = this.get(id)
    if (FINISHED_STATUSES.includes(job.status)) {
      throw new AppError('conflict', `Job ${id} has already ${job.status === 'succeeded' ? 'finished' : 'stopped'} (${job.status}).`)
    }
    const run = this.running.get(id)
    if (run) {
      this.stopWorker(run, 'cancel')
      this.change(id, { progress: { ...job.progress, message: 'Cancelling…' } })
    } else {
      this.change(id, { status: 'cancelled', finishedAt: new Date().toISOString() }, true)
      await fs.rm(this.store.statePath(id), { force: true })
    }
    await this.flush()
    return this.get(id)
  }

  async pause(id: string): Promise<Job> {
    const job = this.get(id)
    if (!jobKind(job.kind)?.resumable) throw new AppError('unsupported', `${job.title} cannot be paused; cancel it instead.`)
    const run = this.running.get(id)
    if (run) {
      this.stopWorker(run, 'pause')
      this.change(id, { progress: { ...job.progress, message: 'Pausing…' } })
    } else if (job.status === 'pending') {
      this.change(id, { status: 'paused' }, true)
    } else {
      throw new AppError('conflict', `Job ${id} is ${job.status}; only pending or running jobs can be paused.`)
    }
    await this.flush()
    return this.get(id)
  }

  async resume(id: string): Promise<Job> {
    const job = this.get(id)
    const resumable = ['paused', 'interrupted', 'failed', 'cancelled'].includes(job.status)
    if (!resumable) throw new AppError('conflict', `Job ${id} is ${job.status}; only paused, failed, cancelled or interrupted jobs can be resumed.`)
    this.change(id, { status: 'pending', finishedAt: null, error: null, progress: { ...job.progress, message: 'Waiting to resume' } }, true)
    await this.flush()
    this.schedule()
    return this.get(id)
  }

  log(id: string, tail: number): Promise<string[]> {
    this.get(id)
    return this.store.readLog(id, tail)
  }

  /** Stops every worker; resumable jobs resume at the next start, others are marked interrupted. */
  async close(): Promise<void> {
    this.closed = true
    const runs = [...this.running.values()]
    for (const run of runs) this.stopWorker(run, 'shutdown')
    await Promise.all(runs.map((r) => r.exited))
    await this.flush()
    await fs.rm(path.join(this.store.dir, 'runner.lock'), { force: true })
  }

  /** Resolves once no job is pending or running (tests and the CLI wait on this). */
  async idle(): Promise<void> {
    while (this.list().some((j) => j.status === 'pending' || j.status === 'running')) {
      await Promise.all([...this.running.values()].map((r) => r.exited))
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  private schedule(): void {
    if (this.closed) return
    // One running job per lane (see JobKindSpec.lane); the rest wait as pending, oldest first.
    const lane = (id: string): string => jobKind(this.jobs.get(id)?.kind ?? '')?.lane ?? 'main'
    for (const job of this.jobs.values()) {
      if (job.status !== 'pending' || this.running.has(job.id)) continue
      if (![...this.running.keys()].some((id) => lane(id) === lane(job.id))) this.launch(job)
    }
  }

  private launch(job: Job): void {
    const child = fork(this.opts.workerPath, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      // Two malloc arenas: glibc otherwise gives each of LanceDB's native threads its own, and memory freed
      // by an index build stays with the process (about 300 MB more peak at 500k documents).
      env: { MALLOC_ARENA_MAX: '2', ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    })
    let resolveExit!: () => void
    const run: Running = { child, stopping: null, outcome: null, exited: new Promise((r) => (resolveExit = r)) }
    this.running.set(job.id, run)
    this.change(job.id, {
      status: 'running',
      startedAt: job.startedAt ?? new Date().toISOString(),
      attempts: job.attempts + 1,
      progress: { ...job.progress, message: job.attempts > 0 ? 'Resuming' : 'Starting' },
    }, true)
    void this.flush()
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.logLine(job.id, line))
    }
    child.on('message', (msg: FromWorker) => this.onMessage(job.id, run, msg))
    child.on('error', (err) => this.logLine(job.id, `Worker error: ${err.message}`))
    child.on('exit', (code, signal) => {
      this.running.delete(job.id)
      void this.finish(job.id, run, code, signal).finally(() => {
        resolveExit()
        this.schedule()
      })
    })
    const start: ToWorker = {
      type: 'start',
      jobId: job.id,
      kind: job.kind,
      input: job.input,
      workspaceDir: this.workspaceDir,
      statePath: this.store.statePath(job.id),
    }
    child.send(start)
  }

  private onMessage(id: string, run: Running, msg: FromWorker): void {
    switch (msg.type) {
      case 'progress':
        this.change(id, { progress: msg.progress satisfies JobProgress })
        break
      case 'log':
        this.logLine(id, msg.line)
        break
      case 'done':
      case 'error':
      case 'stopped':
      case 'continue':
        run.outcome = msg
        break
    }
  }

  private async finish(id: string, run: Running, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    const job = this.get(id)
    const now = new Date().toISOString()
    const outcome = run.outcome
    if (outcome?.type === 'done') {
      this.change(id, { status: 'succeeded', finishedAt: now, result: outcome.result, error: null }, true)
      await fs.rm(this.store.statePath(id), { force: true })
    } else if (outcome?.type === 'error') {
      this.logLine(id, `Failed: ${outcome.error.message}`)
      this.change(id, { status: 'failed', finishedAt: now, error: outcome.error }, true)
    } else if (outcome?.type === 'continue' && !run.stopping) {
      // Queued again at once: the exit handler schedules it in a new worker, from its saved state.
      this.change(id, { status: 'pending', progress: { ...job.progress, message: 'Continuing in a new process' } }, true)
    } else if (run.stopping === 'cancel') {
      this.change(id, { status: 'cancelled', finishedAt: now, progress: { ...job.progress, message: 'Cancelled' } }, true)
      await fs.rm(this.store.statePath(id), { force: true })
    } else if (run.stopping === 'pause') {
      this.change(id, { status: 'paused', progress: { ...job.progress, message: 'Paused' } }, true)
    } else if (run.stopping === 'shutdown') {
      const resumable = jobKind(job.kind)?.resumable
      this.change(id, resumable
        ? { status: 'pending', progress: { ...job.progress, message: 'Waiting to resume' } }
        : { status: 'interrupted', finishedAt: now, error: { code: 'internal', message: 'The app stopped while this job ran. Start it again.' } }, true)
    } else {
      const error: ErrorInfo = {
        code: 'internal',
        message: `The worker process ended unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}). Resume continues from the last saved state.`,
      }
      this.logLine(id, error.message)
      this.change(id, { status: 'failed', finishedAt: now, error }, true)
    }
    await this.flush()
  }

  private stopWorker(run: Running, reason: StopReason): void {
    if (run.stopping) return
    run.stopping = reason
    if (run.child.connected) run.child.send({ type: 'stop', reason } satisfies ToWorker)
    const timer = setTimeout(() => run.child.kill('SIGKILL'), KILL_AFTER_MS)
    void run.exited.then(() => clearTimeout(timer))
  }

  private logLine(id: string, line: string): void {
    void this.store.appendLog(id, [line])
    this.opts.events.emit('job:log', { id, line })
  }

  /** Applies a change, bumps seq, emits it; persists now or with the next batch. */
  private change(id: string, patch: Partial<Job>, persistNow = false): void {
    const job = { ...this.get(id), ...patch }
    job.seq += 1
    this.jobs.set(id, job)
    this.dirty.add(id)
    this.opts.events.emit('job:changed', job)
    if (persistNow) void this.flush()
    else this.persistTimer ??= setTimeout(() => void this.flush(), PERSIST_INTERVAL_MS)
  }

  /** Writes changed records; writes are chained so an older record never lands after a newer one. */
  private flush(): Promise<void> {
    if (this.persistTimer) clearTimeout(this.persistTimer)
    this.persistTimer = null
    this.flushing = this.flushing.then(async () => {
      const ids = [...this.dirty]
      this.dirty.clear()
      await Promise.all(ids.map((id) => this.store.save(this.get(id))))
    })
    return this.flushing
  }
}

/** One runner per workspace: a second live process gets a clear message instead of fighting over jobs. */
async function acquireLock(file: string): Promise<void> {
  const text = await fs.readFile(file, 'utf8').catch(() => null)
  const pid = text ? Number.parseInt(text, 10) : NaN
  if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
    throw new AppError('conflict', `This workspace's jobs are run by another CPT Studio process (pid ${pid}). Close it, or open another workspace.`, { pid })
  }
  await fs.writeFile(file, String(process.pid))
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
