// Job persistence: one JSON record, one log and one resume-state file per job in <workspace>/jobs.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { Job } from '../../shared/jobs'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-write'

export class JobStore {
  constructor(readonly dir: string) {}

  static newId(): string {
    return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`
  }

  recordPath(id: string): string {
    return path.join(this.dir, `${id}.json`)
  }

  logPath(id: string): string {
    return path.join(this.dir, `${id}.log`)
  }

  statePath(id: string): string {
    return path.join(this.dir, `${id}.state.json`)
  }

  async save(job: Job): Promise<void> {
    await writeJsonAtomic(this.recordPath(job.id), job)
  }

  /** Every job on disk, oldest first; records that do not parse are reported, not dropped silently. */
  async loadAll(): Promise<{ jobs: Job[]; damaged: string[] }> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[])
    const jobs: Job[] = []
    const damaged: string[] = []
    for (const name of names) {
      if (!/^[a-z0-9-]+\.json$/.test(name) || name.endsWith('.state.json')) continue
      const file = path.join(this.dir, name)
      try {
        jobs.push(Job.parse(await readJsonIfExists(file)))
      } catch {
        damaged.push(file)
      }
    }
    jobs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    return { jobs, damaged }
  }

  async appendLog(id: string, lines: string[]): Promise<void> {
    if (lines.length === 0) return
    await fs.appendFile(this.logPath(id), lines.map((l) => l + '\n').join(''))
  }

  async readLog(id: string, tail: number): Promise<string[]> {
    const text = await fs.readFile(this.logPath(id), 'utf8').catch(() => '')
    const lines = text.split('\n')
    if (lines.at(-1) === '') lines.pop()
    return lines.slice(-tail)
  }

  async readState(id: string): Promise<unknown> {
    return readJsonIfExists(this.statePath(id)).catch(() => undefined)
  }
}
