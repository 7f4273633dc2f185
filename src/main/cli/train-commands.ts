// Training commands: train (a job run to its end), resume (a stopped or killed run), with final metrics.
import path from 'node:path'
import { AppError } from '../../shared/errors'
import type { Job, JobRequest } from '../../shared/jobs'
import type { SampleResult } from '../../shared/runs'
import type { TrainResult } from '../train/training'
import { type Flags, type Print, cliEngine, runJob, workspaceFlag } from './run-job'

/** A whole-number or decimal flag, or undefined when absent; a clear error naming the flag otherwise. */
function num(flags: Flags, name: string, integer = true): number | undefined {
  const v = flags[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (typeof v !== 'string' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new AppError('invalid_input', `--${name} must be ${integer ? 'a whole number' : 'a number'}, not "${String(v)}".`)
  }
  return n
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

export function trainRequest(flags: Flags): JobRequest {
  const preset = typeof flags.preset === 'string' ? flags.preset : undefined
  const checkpoint = typeof flags.checkpoint === 'string' ? flags.checkpoint : undefined
  if (!preset === !checkpoint) throw new AppError('invalid_input', 'Give the model as --preset NAME or --checkpoint DIR (one of the two).')
  const bpeVocab = num(flags, 'bpe-vocab')
  const tokenizer = typeof flags.tokenizer === 'string' ? { kind: 'file' as const, path: path.resolve(flags.tokenizer) } : bpeVocab !== undefined ? { kind: 'train-bpe' as const, vocabSize: bpeVocab } : undefined
  const data = definedOnly({
    lang: typeof flags.lang === 'string' ? flags.lang.split(',') : undefined,
    source: typeof flags.source === 'string' ? flags.source.split(',') : undefined,
    quality: flags.quality === 'pass' || flags.quality === 'fail' ? flags.quality : undefined,
  })
  const schedule = definedOnly({
    kind: typeof flags.schedule === 'string' ? (flags.schedule as 'cosine') : undefined,
    lr: num(flags, 'lr', false),
    warmupSteps: num(flags, 'warmup'),
    minLr: num(flags, 'min-lr', false),
  })
  return {
    kind: 'train',
    model: preset ? { kind: 'preset', preset } : { kind: 'checkpoint', path: path.resolve(checkpoint!) },
    ...definedOnly({
      name: typeof flags.name === 'string' ? flags.name : undefined,
      tokenizer,
      steps: num(flags, 'steps'),
      tokens: num(flags, 'tokens'),
      batchSize: num(flags, 'batch'),
      seqLen: num(flags, 'seq'),
      gradAccum: num(flags, 'accum'),
      evalEvery: num(flags, 'eval-every'),
      evalTokens: num(flags, 'eval-tokens'),
      checkpointEvery: num(flags, 'checkpoint-every'),
      seed: num(flags, 'seed'),
      backend: typeof flags.backend === 'string' ? (flags.backend as 'auto') : undefined,
    }),
    ...(Object.keys(data).length ? { data } : {}),
    ...(Object.keys(schedule).length ? { schedule } : {}),
  } as JobRequest
}

function report(job: Job, flags: Flags, print: Print): number {
  if (job.status !== 'succeeded') {
    print(flags, { run: job.id, status: job.status, error: job.error }, `Run ${job.id} ${job.status}${job.error ? `: ${job.error.message}` : ''}`)
    return 1
  }
  const r = job.result as TrainResult
  const f = (x: number | null, d = 4): string => (x === null ? '-' : x.toFixed(d))
  return print(
    flags,
    { run: job.id, ...r },
    `Run ${r.runId} finished on ${r.backend}: ${r.steps} steps, ${r.tokens} tokens, loss ${f(r.loss)}, held-out loss ${f(r.firstEvalLoss)} -> ${f(r.evalLoss)}, ${f(r.tokensPerSec, 0)} tokens/s\nCheckpoint: ${r.checkpoint ?? '-'}`,
  )
}

export async function trainCommand(flags: Flags, print: Print): Promise<number> {
  const dir = workspaceFlag(flags, 'train --workspace DIR --preset NAME --steps N')
  const job = await runJob(dir, trainRequest(flags), flags, () => false)
  return report(job, flags, print)
}

export async function resumeCommand(runId: string | undefined, flags: Flags, print: Print): Promise<number> {
  if (!runId) throw new AppError('invalid_input', 'Missing run: cpt-studio resume RUN --workspace DIR')
  const dir = workspaceFlag(flags, 'resume RUN --workspace DIR')
  const engine = await cliEngine(dir)
  let known: Job | undefined
  try {
    known = engine.requireWorkspace().jobs.list().find((j) => j.id === runId && j.kind === 'train')
  } finally {
    await engine.shutdown()
  }
  if (!known) throw new AppError('not_found', `No training run ${runId} in ${dir}: cpt-studio jobs --workspace DIR lists them.`)
  if (known.status === 'succeeded') return report(known, flags, print)
  if (known.status === 'cancelled') throw new AppError('conflict', `Run ${runId} was cancelled; start a new run instead.`)
  const job = await runJob(dir, known.input as JobRequest, flags, (j) => j.id === runId)
  return report(job, flags, print)
}

export async function modelExportCommand(flags: Flags, print: Print): Promise<number> {
  const usage = 'export --run RUN --workspace DIR --format safetensors|gguf [--dtype f32|f16] [--out PATH]'
  const dir = workspaceFlag(flags, usage)
  if (typeof flags.run !== 'string') throw new AppError('invalid_input', `Missing --run RUN: cpt-studio ${usage}`)
  if (flags.format !== 'safetensors' && flags.format !== 'gguf') throw new AppError('invalid_input', `--format must be safetensors or gguf: cpt-studio ${usage}`)
  if (flags.dtype !== undefined && flags.dtype !== 'f32' && flags.dtype !== 'f16') throw new AppError('invalid_input', '--dtype must be f32 or f16.')
  const input: JobRequest = {
    kind: 'model-export',
    runId: flags.run,
    format: flags.format,
    ...(flags.dtype ? { dtype: flags.dtype } : {}),
    ...(typeof flags.out === 'string' ? { out: path.resolve(flags.out) } : {}),
  }
  const job = await runJob(dir, input, flags, () => false)
  if (job.status !== 'succeeded') {
    print(flags, { status: job.status, error: job.error }, `Export ${job.status}: ${job.error?.message ?? ''}`)
    return 1
  }
  const r = job.result as { out: string; bytes: number; step: number }
  return print(flags, r, `Wrote step ${r.step} of run ${flags.run} to ${r.out} (${r.bytes} bytes)`)
}

export async function sampleCommand(prompt: string, flags: Flags, print: Print): Promise<number> {
  const usage = 'sample --run RUN --workspace DIR [--max-tokens N] [--temperature T] PROMPT'
  const dir = workspaceFlag(flags, usage)
  if (typeof flags.run !== 'string') throw new AppError('invalid_input', `Missing --run RUN: cpt-studio ${usage}`)
  const input: JobRequest = {
    kind: 'sample',
    runId: flags.run,
    prompt,
    ...definedOnly({ maxTokens: num(flags, 'max-tokens'), temperature: num(flags, 'temperature', false), seed: num(flags, 'seed') }),
  }
  const job = await runJob(dir, input, flags, () => false)
  if (job.status !== 'succeeded') {
    print(flags, { status: job.status, error: job.error }, `Sampling ${job.status}: ${job.error?.message ?? ''}`)
    return 1
  }
  const r = job.result as SampleResult
  return print(flags, r, `${prompt}${r.text}`)
}
