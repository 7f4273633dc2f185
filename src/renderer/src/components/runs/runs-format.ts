// Labels and numbers for the Runs view: a run's status as the researcher sees it, losses, sizes and tokens.
import type { Job } from '../../../../shared/jobs'
import type { RunSummary } from '../../../../shared/runs'
import type { RunRow } from '../../state/runs.svelte'
import { basename } from '../../lib/format'

/** A run's status, merging run.json (what the trainer last wrote) with its job (what the runner knows now). */
export type RunState = 'queued' | 'preparing' | 'training' | 'stopping' | 'stopped' | 'finished' | 'failed' | 'interrupted' | 'cancelled'
export type Tone = 'accent' | 'ok' | 'bad' | 'muted' | 'warn'

export function runState(run: RunSummary | null, job: Job | undefined, stopping = false): RunState {
  if (job) {
    switch (job.status) {
      case 'pending':
        return 'queued'
      case 'running':
        if (stopping) return 'stopping'
        return run?.status === 'training' ? 'training' : 'preparing'
      case 'paused':
        return 'stopped'
      case 'succeeded':
        return 'finished'
      case 'failed':
        return 'failed'
      case 'interrupted':
        return 'interrupted'
      case 'cancelled':
        return 'cancelled'
    }
  }
  // No job record (deleted, or another workspace copied in): trust run.json.
  return run ? run.status : 'queued'
}

export function stateTone(s: RunState): Tone {
  switch (s) {
    case 'training':
    case 'preparing':
      return 'accent'
    case 'finished':
      return 'ok'
    case 'failed':
    case 'interrupted':
      return 'bad'
    case 'stopping':
      return 'warn'
    case 'queued':
    case 'stopped':
    case 'cancelled':
      return 'muted'
  }
}

export { compact, int } from '../../lib/format'

/** A loss with three decimals; "–" when there is none yet (or it diverged to NaN). */
export function loss(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(3)
}

/** The change of the held-out loss since the first evaluation, signed: "−1.234". */
export function lossDelta(last: number | null, first: number | null): { text: string; tone: 'better' | 'worse' | 'same' } | null {
  if (last === null || first === null || !Number.isFinite(last) || !Number.isFinite(first)) return null
  const d = last - first
  if (Math.abs(d) < 0.0005) return { text: '±0.000', tone: 'same' }
  return { text: `${d < 0 ? '−' : '+'}${Math.abs(d).toFixed(3)}`, tone: d < 0 ? 'better' : 'worse' }
}

/** A learning rate: 4e-4 reads better as 4.0e-4 than 0.0004. */
export function lr(n: number): string {
  if (!Number.isFinite(n)) return '–'
  if (n === 0) return '0'
  return n >= 0.01 ? n.toPrecision(2) : n.toExponential(1).replace('e-', 'e−')
}

const PARAMS_FMT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })

/** Parameters: 1.03M, 1.1B. */
export function params(n: number): string {
  return n < 1000 ? String(n) : PARAMS_FMT.format(n)
}

/** What the model is: the preset name, or the checkpoint folder's name. */
export function modelName(run: RunSummary): string {
  return run.model.source.kind === 'preset' ? run.model.source.preset : basename(run.model.source.path)
}


/** Steps done and in all: live from the job's progress while it runs, else from run.json. */
export function stepsOf(row: RunRow): { done: number; total: number | null } {
  const p = row.job?.progress
  const done = p && row.job?.status === 'running' && p.unit === 'steps' ? p.done : (row.run?.step ?? 0)
  return { done: Math.max(done, row.run?.step ?? 0), total: row.run?.totalSteps ?? p?.total ?? null }
}

/** A row's name: run.json's, else the job's title. */
export function rowName(row: RunRow): string {
  return row.run?.name ?? row.job?.title ?? row.id
}
