// Training runs: what a run is asked to do, and what it reports (metrics, summaries) to the CLI and the Runs view.
import { z } from 'zod'
import { DocFilter } from './corpus'

export const LrSchedule = z.object({
  kind: z.enum(['cosine', 'wsd', 'constant']).default('cosine'),
  /** Peak learning rate (after warmup). */
  lr: z.number().positive().max(1).default(4e-4),
  /** Where the linear warmup starts. */
  warmupStartLr: z.number().nonnegative().max(1).default(0),
  warmupSteps: z.number().int().nonnegative().default(20),
  /** Where cosine and WSD end. */
  minLr: z.number().nonnegative().max(1).default(4e-5),
  /** WSD: the share of the post-warmup steps spent decaying. */
  decayFraction: z.number().min(0).max(1).default(0.2),
})
export type LrSchedule = z.infer<typeof LrSchedule>

export const Optimizer = z.object({
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.95),
  eps: z.number().positive().default(1e-8),
  weightDecay: z.number().min(0).max(1).default(0.1),
  /** Global gradient-norm clip; 0 turns clipping off. */
  clip: z.number().min(0).default(1),
})
export type Optimizer = z.infer<typeof Optimizer>

export const BackendPreference = z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'])
export type BackendPreference = z.infer<typeof BackendPreference>

/** Where the model comes from: a preset shape initialised from the seed, or a Hugging Face checkpoint folder. */
export const ModelSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('preset'), preset: z.string().min(1).max(100) }),
  z.object({ kind: z.literal('checkpoint'), path: z.string().min(1).max(4096) }),
])
export type ModelSource = z.infer<typeof ModelSource>

/** The tokenizer: a file or folder (tokenizer.json, tokenizer.model, GGUF), or a byte-level BPE trained on the corpus. */
export const TokenizerSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('file'), path: z.string().min(1).max(4096) }),
  z.object({ kind: z.literal('train-bpe'), vocabSize: z.number().int().min(260).max(65_536).default(4096) }),
])
export type TokenizerSource = z.infer<typeof TokenizerSource>

export const TrainInput = z
  .object({
    kind: z.literal('train'),
    name: z.string().min(1).max(200).optional(),
    model: ModelSource,
    tokenizer: TokenizerSource.optional(),
    /** Which documents to train on (the corpus browser's filter). */
    data: DocFilter.default({}),
    /** Share of documents held out for evaluation (chosen by document id, so stable across runs). */
    heldOutFraction: z.number().min(0.001).max(0.5).default(0.02),
    /** Length of the run: optimizer steps, or tokens (converted to steps). One of the two. */
    steps: z.number().int().positive().max(10_000_000).optional(),
    tokens: z.number().int().positive().optional(),
    batchSize: z.number().int().positive().max(4096).default(8),
    seqLen: z.number().int().min(8).max(32_768).default(256),
    gradAccum: z.number().int().positive().max(1024).default(1),
    schedule: LrSchedule.default(LrSchedule.parse({})),
    optimizer: Optimizer.default(Optimizer.parse({})),
    evalEvery: z.number().int().positive().default(50),
    /** Held-out tokens scored at each evaluation. */
    evalTokens: z.number().int().positive().default(16_384),
    checkpointEvery: z.number().int().positive().default(100),
    keepCheckpoints: z.number().int().positive().max(100).default(2),
    seed: z.number().int().nonnegative().max(2 ** 32 - 1).default(1234),
    backend: BackendPreference.default('auto'),
  })
  .refine((t) => (t.steps === undefined) !== (t.tokens === undefined), {
    message: 'Give the run length as steps or as tokens (one of the two).',
    path: ['steps'],
  })
export type TrainInput = z.infer<typeof TrainInput>

const RunId = z.string().regex(/^[a-z0-9-]{1,64}$/, 'a run id has only a-z, 0-9 and -')

/** Text generated from a run's newest checkpoint (with the KV cache). */
export const SampleInput = z.object({
  kind: z.literal('sample'),
  runId: RunId,
  prompt: z.string().max(20_000),
  maxTokens: z.number().int().min(1).max(2048).default(64),
  temperature: z.number().min(0).max(5).default(0.8),
  topK: z.number().int().min(0).max(1000).default(40),
  seed: z.number().int().nonnegative().max(2 ** 32 - 1).default(0),
})
export type SampleInput = z.infer<typeof SampleInput>
export interface SampleResult {
  text: string
  promptTokens: number
  newTokens: number
  msPerToken: number
  checkpointStep: number
}

/** A run's newest checkpoint written as Hugging Face safetensors (a folder) or one GGUF file. */
export const ModelExportInput = z.object({
  kind: z.literal('model-export'),
  runId: RunId,
  format: z.enum(['safetensors', 'gguf']),
  dtype: z.enum(['f32', 'f16']).default('f32'),
  /** Output folder (safetensors) or file (gguf); by default exports/<run id>-step-N[.gguf] in the workspace. Never overwritten. */
  out: z.string().min(1).max(4096).optional(),
})
export type ModelExportInput = z.infer<typeof ModelExportInput>

/** One line of a run's metrics.jsonl: a training step, or an evaluation (evalLoss set). */
export const MetricPoint = z.object({
  step: z.number().int().nonnegative(),
  tokens: z.number().nonnegative(),
  loss: z.number().optional(),
  evalLoss: z.number().optional(),
  lr: z.number().optional(),
  gradNorm: z.number().optional(),
  tokensPerSec: z.number().optional(),
  elapsed: z.number().nonnegative(),
})
export type MetricPoint = z.infer<typeof MetricPoint>

export const RunStatus = z.enum(['preparing', 'training', 'stopped', 'finished', 'failed'])

/** runs/<id>/run.json: what the run is and where it stands. */
export const RunSummary = z.object({
  id: z.string(),
  name: z.string(),
  status: RunStatus,
  createdAt: z.string(),
  updatedAt: z.string(),
  model: z.object({ source: ModelSource, preset: z.string().nullable(), parameters: z.number() }),
  tokenizer: z.object({ name: z.string(), kind: z.string(), vocabSize: z.number() }),
  backend: z.object({ name: z.string(), tried: z.array(z.object({ name: z.string(), ok: z.boolean(), reason: z.string() })) }),
  totalSteps: z.number().int(),
  tokensPerStep: z.number().int(),
  step: z.number().int(),
  tokens: z.number(),
  trainTokensAvailable: z.number(),
  heldOutTokens: z.number(),
  lastLoss: z.number().nullable(),
  lastEvalLoss: z.number().nullable(),
  firstEvalLoss: z.number().nullable(),
  memory: z.object({ totalBytes: z.number(), limitBytes: z.number().nullable() }),
  error: z.string().nullable(),
  checkpoints: z.array(z.object({ step: z.number().int(), path: z.string() })),
})
export type RunSummary = z.infer<typeof RunSummary>

export const RunOptions = z.object({
  presets: z.array(z.object({ name: z.string(), description: z.string(), vocabSize: z.number().nullable() })),
  /** The workspace tokenizer: its file when found, else why not and where to put it. */
  defaultTokenizer: z.object({ path: z.string().nullable(), problem: z.string().nullable() }),
  /** Tokenizer files and folders under models/tokenizers. */
  tokenizers: z.array(z.object({ name: z.string(), path: z.string() })),
  /** Hugging Face checkpoint folders (with config.json) under models/. */
  checkpoints: z.array(z.object({ name: z.string(), path: z.string() })),
})
export type RunOptions = z.infer<typeof RunOptions>
