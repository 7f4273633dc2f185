// A run's folder: runs/<id>/run.json (summary), metrics.jsonl (one line per step or evaluation), tokenizer, data, checkpoints.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { MetricPoint, RunSummary } from '../../shared/runs'
import { AppError } from '../../shared/errors'
import { readJsonIfExists, writeFileAtomic, writeJsonAtomic } from '../util/atomic-write'

export const RUN_FILE = 'run.json'
export const METRICS_FILE = 'metrics.jsonl'

export function runDir(workspaceDir: string, runId: string): string {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(runId)) throw new AppError('invalid_input', `"${runId}" is not a run id.`)
  return path.join(workspaceDir, 'runs', runId)
}

export async function readRunSummary(dir: string): Promise<RunSummary | null> {
  const raw = await readJsonIfExists(path.join(dir, RUN_FILE))
  if (raw === undefined) return null
  const parsed = RunSummary.safeParse(raw)
  if (!parsed.success) throw new AppError('invalid_input', `${path.join(dir, RUN_FILE)} is damaged: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`)
  return parsed.data
}

export async function writeRunSummary(dir: string, summary: RunSummary): Promise<void> {
  await writeJsonAtomic(path.join(dir, RUN_FILE), summary)
}

export async function listRuns(workspaceDir: string): Promise<RunSummary[]> {
  const root = path.join(workspaceDir, 'runs')
  let names: string[]
  try {
    names = await fs.readdir(root)
  } catch {
    return []
  }
  const runs: RunSummary[] = []
  for (const name of names) {
    const summary = await readRunSummary(path.join(root, name)).catch(() => null)
    if (summary) runs.push(summary)
  }
  return runs.sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}

/** Metrics in file order; a torn last line (a crash mid-write) is skipped. */
export async function readMetrics(dir: string): Promise<MetricPoint[]> {
  let text: string
  try {
    text = await fs.readFile(path.join(dir, METRICS_FILE), 'utf8')
  } catch {
    return []
  }
  const out: MetricPoint[] = []
  for (const line of text.split('\n')) {
    if (!line) continue
    try {
      const p = MetricPoint.safeParse(JSON.parse(line))
      if (p.success) out.push(p.data)
    } catch {
      // A line cut short by a crash.
    }
  }
  return out
}

/** Appends metric lines; one handle per run, synced on close. */
export class MetricsLog {
  private constructor(private readonly handle: fs.FileHandle) {}

  /** Opens the log for a run resuming at `step`: lines of later steps (written after that checkpoint) are dropped. */
  static async open(dir: string, step: number): Promise<MetricsLog> {
    const file = path.join(dir, METRICS_FILE)
    const kept = (await readMetrics(dir)).filter((p) => p.step <= step)
    await writeFileAtomic(file, kept.map((p) => JSON.stringify(p) + '\n').join(''))
    return new MetricsLog(await fs.open(file, 'a'))
  }

  async append(p: MetricPoint): Promise<void> {
    await this.handle.write(JSON.stringify(p) + '\n')
  }

  async close(): Promise<void> {
    await this.handle.sync()
    await this.handle.close()
  }
}
