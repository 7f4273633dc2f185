// Training runs: run.json of every run (plus train jobs that have not written one yet), the selection
// (one run, or two to compare), and per-run metrics caches fetched incrementally while a run trains.
import { untrack } from 'svelte'
import type { Job } from '../../../shared/jobs'
import type { MetricPoint, RunOptions, RunSummary } from '../../../shared/runs'
import { api } from '../lib/api'
import { jobsStore } from './jobs.svelte'
import { workspaceStore } from './workspace.svelte'

/** How often a training run's new metric lines are fetched. */
const METRICS_POLL_MS = 1500
/** run.json changes at every evaluation and checkpoint; progress events come up to 5 a second, so re-read the list at most this often. */
const LIST_THROTTLE_MS = 2000

/** One row of the list: a run, or a train job still waiting or loading its tokenizer (no run.json yet). */
export interface RunRow {
  id: string
  run: RunSummary | null
  job: Job | undefined
  createdAt: string
}

class RunsStore {
  runs = $state.raw<RunSummary[]>([])
  options = $state.raw<RunOptions | null>(null)
  loaded = $state(false)
  error = $state('')
  /** What the user picked: one run, or two to compare (the first is the one shown in detail). */
  selected = $state<string[]>([])
  /** Metric lines per run, in file order; replaced (never mutated) so large arrays stay unproxied. */
  metrics = $state.raw<Record<string, MetricPoint[]>>({})
  metricsError = $state<Record<string, string>>({})
  /** Runs asked to stop whose trainer is still writing its checkpoint. */
  stopping = $state<Record<string, boolean>>({})

  /** Train jobs by run id (a run's id is its job's id). */
  trainJobs = $derived(Object.fromEntries(jobsStore.list.filter((j) => j.kind === 'train').map((j) => [j.id, j])) as Record<string, Job>)

  rows = $derived.by<RunRow[]>(() => {
    const byId: Record<string, RunRow> = {}
    for (const run of this.runs) byId[run.id] = { id: run.id, run, job: this.trainJobs[run.id], createdAt: this.trainJobs[run.id]?.createdAt ?? run.createdAt }
    for (const job of Object.values(this.trainJobs)) byId[job.id] ??= { id: job.id, run: null, job, createdAt: job.createdAt }
    return Object.values(byId).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
  })

  /** The runs on screen: the valid part of the selection, or the newest run. */
  current = $derived.by<RunRow[]>(() => {
    const picked = this.selected.map((id) => this.rows.find((r) => r.id === id)).filter((r): r is RunRow => r !== undefined)
    return picked.length ? picked : this.rows.slice(0, 1)
  })

  private path: string | null | undefined
  private listSeq = 0
  private lastRefresh = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private jobKey: string | undefined
  private progressKey = ''
  private attempts: Record<string, number> = {}
  private next: Record<string, number> = {}
  /** Bumped when a run's cache (or, with generation, every cache) is dropped, so an answer to an older request is ignored. */
  private epoch: Record<string, number> = {}
  private generation = 0
  private inflight = new Set<string>()

  /** Follows the workspace and the train jobs; the view calls it on mount and the result on unmount. */
  follow(): () => void {
    const destroy = $effect.root(() => {
      $effect(() => {
        const path = workspaceStore.current?.path ?? null
        untrack(() => {
          // Another folder starts over; the same one (the view shown again) keeps the selection and the caches.
          if (path !== this.path) {
            this.path = path
            this.reset()
          }
          void this.refresh()
          void this.loadOptions()
        })
      })
      $effect(() => {
        const jobs = Object.values(this.trainJobs)
        const key = jobs.map((j) => `${j.id}:${j.status}:${j.attempts}`).join(',')
        const progress = jobs.filter((j) => j.status === 'running').map((j) => `${j.id}:${j.progress.done}`).join(',')
        untrack(() => this.onJobs(jobs, key, progress))
      })
    })
    return () => {
      destroy()
      clearTimeout(this.timer)
      this.timer = undefined
    }
  }

  private reset(): void {
    this.listSeq++
    this.runs = []
    this.loaded = false
    this.selected = []
    this.metrics = {}
    this.metricsError = {}
    this.stopping = {}
    this.next = {}
    this.attempts = {}
    this.generation++
    this.jobKey = undefined
  }

  private onJobs(jobs: Job[], key: string, progress: string): void {
    // A new attempt (resume) may rewrite metrics.jsonl from its checkpoint: read it again from the start.
    for (const j of jobs) {
      if (this.stopping[j.id] && j.status !== 'running') delete this.stopping[j.id]
      const seen = this.attempts[j.id]
      if (seen !== undefined && seen !== j.attempts) this.dropMetrics(j.id)
      this.attempts[j.id] = j.attempts
    }
    if (this.jobKey !== undefined && key !== this.jobKey) void this.refresh()
    else if (progress !== this.progressKey && progress) this.refreshSoon()
    this.jobKey = key
    this.progressKey = progress
  }

  private refreshSoon(): void {
    if (this.timer !== undefined) return
    this.timer = setTimeout(
      () => {
        this.timer = undefined
        void this.refresh()
      },
      Math.max(0, LIST_THROTTLE_MS - (Date.now() - this.lastRefresh)),
    )
  }

  async refresh(): Promise<void> {
    const seq = ++this.listSeq
    this.lastRefresh = Date.now()
    try {
      const runs = await api['runs:list']({})
      if (seq !== this.listSeq) return
      this.runs = runs
      this.error = ''
    } catch (err) {
      if (seq === this.listSeq) this.error = (err as Error).message
    } finally {
      if (seq === this.listSeq) this.loaded = true
    }
  }

  async loadOptions(): Promise<void> {
    try {
      this.options = await api['runs:options']({})
    } catch (err) {
      this.error = (err as Error).message
    }
  }

  select(id: string): void {
    this.selected = [id]
  }

  /** Adds a run to compare with the one shown, or takes it out; a third replaces the second. */
  toggleCompare(id: string): void {
    const shown = this.current.map((r) => r.id)
    if (shown.includes(id)) {
      if (shown.length > 1) this.selected = shown.filter((x) => x !== id)
      return
    }
    this.selected = [...shown.slice(0, 1), id]
  }

  /** Stops a run: the trainer checkpoints and exits (jobs:pause); resume continues from that checkpoint. */
  async stop(id: string): Promise<void> {
    this.stopping[id] = true
    try {
      await jobsStore.pause(id)
    } catch (err) {
      delete this.stopping[id]
      throw err
    }
  }

  async resume(id: string): Promise<void> {
    delete this.stopping[id]
    await jobsStore.resume(id)
  }

  /** The sample or export jobs of a run, newest first. */
  jobsFor(runId: string, kind: 'sample' | 'model-export'): Job[] {
    return jobsStore.list.filter((j) => j.kind === kind && (j.input as { runId?: string } | null)?.runId === runId)
  }

  /** Whether a run's trainer is writing metrics now. */
  isLive(id: string): boolean {
    return this.trainJobs[id]?.status === 'running'
  }

  /** Fetches the metric lines of a run that the cache does not hold yet. */
  async loadMetrics(id: string): Promise<void> {
    const epoch = this.stamp(id)
    const key = `${id}@${epoch}`
    if (this.inflight.has(key)) return
    this.inflight.add(key)
    let again = false
    try {
      const from = this.next[id] ?? 0
      const res = await api['runs:metrics']({ id, from })
      if (this.stamp(id) !== epoch) return
      if (res.next < from) {
        // The file became shorter: a resumed run dropped the steps after its checkpoint. Start over.
        this.dropMetrics(id)
        again = true
      } else {
        this.next[id] = res.next
        const held = this.metrics[id]
        if (!held || res.points.length) this.metrics = { ...this.metrics, [id]: held ? held.concat(res.points) : res.points }
        if (this.metricsError[id]) delete this.metricsError[id]
      }
    } catch (err) {
      if (this.stamp(id) === epoch) this.metricsError[id] = (err as Error).message
    } finally {
      this.inflight.delete(key)
    }
    if (again) await this.loadMetrics(id)
  }

  /**
   * Loads a run's metrics once, and again every METRICS_POLL_MS while it trains. Call from an effect
   * that reads isLive(id), and return what this returns, so polling stops when the run does.
   */
  poll(id: string, live: boolean): () => void {
    void this.loadMetrics(id)
    if (!live) return () => {}
    const timer = setInterval(() => void this.loadMetrics(id), METRICS_POLL_MS)
    return () => clearInterval(timer)
  }

  private stamp(id: string): string {
    return `${this.generation}:${this.epoch[id] ?? 0}`
  }

  private dropMetrics(id: string): void {
    this.epoch[id] = (this.epoch[id] ?? 0) + 1
    delete this.next[id]
    const { [id]: _dropped, ...rest } = this.metrics
    this.metrics = rest
  }
}

export const runsStore = new RunsStore()
