// Messages between the job runner and a job's worker process.
import type { ErrorInfo } from '../../shared/errors'
import type { JobProgress } from '../../shared/jobs'

export type ToWorker =
  | { type: 'start'; jobId: string; kind: string; input: unknown; workspaceDir: string; statePath: string }
  | { type: 'stop'; reason: 'cancel' | 'pause' | 'shutdown' }

export type FromWorker =
  | { type: 'progress'; progress: JobProgress }
  | { type: 'log'; line: string }
  | { type: 'done'; result: unknown }
  | { type: 'stopped' }
  | { type: 'continue' }
  | { type: 'error'; error: ErrorInfo }

/** What a job implementation gets: where to work, how to report, and how to be stopped. */
export interface JobContext<State> {
  readonly jobId: string
  readonly workspaceDir: string
  /** Aborted when the user cancels or pauses, or the app shuts down; stop at the next safe point. */
  readonly signal: AbortSignal
  /** The state the previous attempt saved, when this run resumes one. */
  readonly state: State | undefined
  /** Persists resume state atomically; a resumed attempt starts from the last saved state. */
  saveState(state: State): Promise<void>
  progress(update: { done: number; total?: number | null; unit?: string; message?: string }): void
  log(line: string): void
}

export interface JobKindSpec<Input, State = unknown> {
  title(input: Input): string
  /** Whether an interrupted run can continue from its saved state (else it is marked interrupted). */
  resumable: boolean
  /**
   * Jobs queue per lane, one running at a time in each: long work (imports, training) in "main"; short work a
   * user waits for (sampling, exporting a checkpoint) in "quick", so it runs while a training run goes on.
   */
  lane?: 'main' | 'quick'
  run(input: Input, ctx: JobContext<State>): Promise<unknown>
}

/** Thrown by a job that noticed its signal; the runner maps it to cancelled or paused. */
export class JobStopped extends Error {
  constructor() {
    super('stopped')
    this.name = 'JobStopped'
  }
}

/**
 * Thrown by a resumable job once its state is saved: the runner starts it again in a new worker process.
 * A phase that leaves much memory behind (an import's writes: native pages the process keeps) ends this
 * way, so that the next phase does not add its own peak to it.
 */
export class ContinueInNewProcess extends Error {
  constructor() {
    super('continue in a new process')
    this.name = 'ContinueInNewProcess'
  }
}

export function throwIfStopped(signal: AbortSignal): void {
  if (signal.aborted) throw new JobStopped()
}
