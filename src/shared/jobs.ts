// Job records: what every long piece of work reports, persisted and streamed to the UI.
import { z } from 'zod'
import { DocFilter } from './corpus'
import { ErrorInfo } from './errors'
import { ModelExportInput, SampleInput, TrainInput } from './runs'

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
  z.object({
    kind: z.literal('corpus-import'),
    /** Files and folders to import (HTML, JSON/JSONL(.gz/.zst), Parquet, TXT/MD, PDF, WARC, zip). */
    paths: z.array(z.string().min(1).max(4096)).min(1).max(10_000),
    /** Source name for every document; defaults to the record's own source or the folder name. */
    source: z.string().min(1).max(200).optional(),
    /** JSON field holding the text (default: text, then content, raw_content). */
    textField: z.string().min(1).max(200).optional(),
    /** Records longer than this many characters are reported and skipped. */
    maxChars: z.number().int().positive().default(2_000_000),
    /** Estimated Jaccard similarity at or above which two documents are near-duplicates (LSH finds candidates from about 0.7). */
    nearDupThreshold: z.number().min(0.7).max(1).default(0.8),
  }),
  z.object({
    kind: z.literal('corpus-export'),
    filter: DocFilter.default({}),
    format: z.enum(['jsonl', 'parquet']).default('jsonl'),
    /** Output file; by default exports/<job id>.<format> inside the workspace. An existing file is never overwritten. */
    out: z.string().min(1).max(4096).optional(),
  }),
  TrainInput,
  SampleInput,
  ModelExportInput,
])
export type JobInput = z.infer<typeof JobInput>
/** A job as asked for: fields with defaults may be left out. */
export type JobRequest = z.input<typeof JobInput>
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
