// Job records: what every long piece of work reports, persisted and streamed to the UI.
import { z } from 'zod'
import { ErrorInfo } from './errors'

export const JobStatus = z.enum([
  'pending',
  'running',
  'paused',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
])
export type JobStatus = z.infer<typeof JobStatus>

/** Statuses a job never leaves by itself. */
export const FINISHED_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled', 'interrupted']

export const JobProgress = z.object({
  /** Units finished so far. */
  done: z.number().nonnegative(),
  /** Units in all, when known. */
  total: z.number().nonnegative().nullable(),
  /** What a unit is: bytes, files, documents, steps, tokens. */
  unit: z.string(),
  /** Units per second, smoothed. */
  rate: z.number().nonnegative().nullable(),
  /** Seconds left at the current rate. */
  etaSeconds: z.number().nonnegative().nullable(),
  /** A short line on what the job is doing now. */
  message: z.string(),
})
export type JobProgress = z.infer<typeof JobProgress>

/** The kinds of job and their inputs; later features add kinds here. */
export const JobInput = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('workspace-check'),
    /** Rehash every file even when its size and time are unchanged. */
    deep: z.boolean().default(false),
  }),
])
export type JobInput = z.infer<typeof JobInput>
export type JobKind = JobInput['kind']

export const Job = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  input: z.unknown(),
  status: JobStatus,
  progress: JobProgress,
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** How many times a worker has started this job (more than 1 after a resume). */
  attempts: z.number().int().nonnegative(),
  error: ErrorInfo.nullable(),
  result: z.unknown().nullable(),
  /** Grows with every change; a client drops an update older than what it has. */
  seq: z.number().int().nonnegative(),
})
export type Job = z.infer<typeof Job>

export const JobLogLine = z.object({ id: z.string(), line: z.string() })
export type JobLogLine = z.infer<typeof JobLogLine>
