// Jobs: subscribe to deltas first, then apply the snapshot; a delta with a lower seq than what we hold is dropped.
import type { Job, JobRequest } from '../../../shared/jobs'
import { api } from '../lib/api'

const LOG_LIMIT = 2000

class JobsStore {
  byId = $state<Record<string, Job>>({})
  logs = $state<Record<string, string[]>>({})
  /** Newest first. */
  list = $derived(Object.values(this.byId).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)))
  active = $derived(this.list.filter((j) => j.status === 'running' || j.status === 'pending'))
  private connected = false

  async connect(): Promise<void> {
    if (!this.connected) {
      this.connected = true
      api.on('job:changed', (job) => this.apply(job))
      api.on('job:log', ({ id, line }) => {
        const lines = this.logs[id]
        if (lines) this.logs[id] = [...lines, line].slice(-LOG_LIMIT)
      })
    }
    await this.reload()
  }

  /** Replaces the list with a fresh snapshot (after a workspace switch, or at start). */
  async reload(): Promise<void> {
    const snapshot = await api['jobs:list']({})
    const next: Record<string, Job> = {}
    for (const job of snapshot) {
      const held = this.byId[job.id]
      next[job.id] = held && held.seq > job.seq ? held : job
    }
    this.byId = next
  }

  apply(job: Job): void {
    const held = this.byId[job.id]
    if (!held || job.seq >= held.seq) this.byId[job.id] = job
  }

  async loadLog(id: string): Promise<void> {
    const { lines } = await api['jobs:log']({ id, tail: 500 })
    this.logs[id] = lines
  }

  async start(input: JobRequest): Promise<Job> {
    const job = await api['jobs:start'](input)
    this.apply(job)
    return job
  }

  async cancel(id: string): Promise<void> {
    this.apply(await api['jobs:cancel']({ id }))
  }

  async pause(id: string): Promise<void> {
    this.apply(await api['jobs:pause']({ id }))
  }

  async resume(id: string): Promise<void> {
    this.apply(await api['jobs:resume']({ id }))
  }
}

export const jobsStore = new JobsStore()
