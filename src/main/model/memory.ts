// Training memory estimate (fp32 weights, gradients, AdamW moments, activations) and the check that refuses a
// run that cannot fit, before anything is allocated.
import os from 'node:os'
import { AppError } from '../../shared/errors'
import { type LlamaConfig, headDim, parameterCount } from '../weights/llama-config'
import type { BackendName } from './backend'

export interface MemoryEstimate {
  parametersBytes: number
  gradientsBytes: number
  /** AdamW: two fp32 moments per parameter. */
  optimizerBytes: number
  /** Peak activations of one forward and backward pass of a micro-batch. */
  activationsBytes: number
  totalBytes: number
}

export interface MemoryOptions {
  batch: number
  seq: number
  backend?: BackendName | string
}

const F32 = 4
/** The wasm32 heap: every tensor of the wasm backend lives in one linear memory that stops at 4 GiB. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3

/**
 * Estimates the memory of a training step (fp32 everywhere) with the fused layers (fused.ts). Per token, every
 * layer keeps x, q, the attention output, the residual, k, v, the MLP's gate and up, and the attention
 * probabilities when they are kept (seq <= 4 x headDim); the head keeps its input and softmax. On top comes
 * the largest transient: the head's backward (about 5 x vocab a token) or one layer's attention backward
 * (about 12 x heads x seq), plus the causal mask and weight-sized transients. tfjs holds saved tensors and intermediate gradients until the backward pass
 * ends, and allocations fragment: measured peaks on wasm were 1.25-1.45x this sum, so it is scaled by 1.5.
 */
export function estimateTrainingMemory(config: LlamaConfig, opts: MemoryOptions): MemoryEstimate {
  const params = parameterCount(config)
  const tokens = opts.batch * opts.seq
  const h = config.hiddenSize
  const hd = headDim(config)
  const kv = config.numKeyValueHeads * hd
  const m = config.intermediateSize
  const probs = config.numAttentionHeads * opts.seq
  const savedPerLayer = 4 * h + 2 * kv + 2 * m + (opts.seq <= 4 * hd ? probs : 0)
  const savedHead = 2 * h + config.vocabSize
  const transient = Math.max(5 * config.vocabSize, 15 * h + 6 * m + 12 * probs)
  const perToken = config.numHiddenLayers * savedPerLayer + savedHead + transient
  // Fixed costs: the causal mask, and weight-sized transients (transposed weights, fresh gradients).
  const fixed = opts.seq * opts.seq + 2 * params
  const activationsBytes = Math.ceil(1.5 * (tokens * perToken + fixed) * F32)
  const parametersBytes = params * F32
  const gradientsBytes = params * F32
  const optimizerBytes = 2 * params * F32
  return { parametersBytes, gradientsBytes, optimizerBytes, activationsBytes, totalBytes: parametersBytes + gradientsBytes + optimizerBytes + activationsBytes }
}

export interface FitOptions {
  /** Free memory of the GPU (tensorflow-gpu); without it the host memory is checked. */
  gpuMemoryBytes?: number
  /** Free host memory; default os.freemem(). */
  freeMemoryBytes?: number
}

export interface FitResult {
  limitBytes: number
  /** What the limit is: the wasm heap, free system memory, or GPU memory. */
  limitSource: string
}

/**
 * Throws an AppError (unsupported) saying what to do when the estimate exceeds what the backend can hold:
 * the 4 GiB wasm heap, the GPU's memory when given, otherwise free system memory. Returns the limit used.
 */
export function checkFits(estimate: MemoryEstimate, backend: BackendName | string, opts: FitOptions = {}): FitResult {
  const need = formatBytes(estimate.totalBytes)
  const parts = `weights ${formatBytes(estimate.parametersBytes)}, gradients ${formatBytes(estimate.gradientsBytes)}, AdamW moments ${formatBytes(estimate.optimizerBytes)}, activations ${formatBytes(estimate.activationsBytes)}`
  if (backend === 'wasm') {
    const limit = WASM_HEAP_BYTES
    if (estimate.parametersBytes >= limit) {
      throw new AppError(
        'unsupported',
        `The model's fp32 weights alone take ${formatBytes(estimate.parametersBytes)}, and the wasm backend keeps every tensor in a heap that stops at 4 GiB. ` +
          `Install @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (NVIDIA GPU, CUDA 11.2 and cuDNN 8.1) and choose that backend, or train a smaller model.`,
        { estimate, limitBytes: limit },
      )
    }
    if (estimate.totalBytes > limit) {
      throw new AppError(
        'unsupported',
        `Training needs about ${need} (${parts}), more than the wasm backend's 4 GiB heap. ` +
          `Lower the batch size or sequence length, or install @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu and choose that backend.`,
        { estimate, limitBytes: limit },
      )
    }
    return { limitBytes: limit, limitSource: 'wasm heap (4 GiB)' }
  }
  if (backend === 'tensorflow-gpu' && opts.gpuMemoryBytes !== undefined) {
    if (estimate.totalBytes > opts.gpuMemoryBytes) {
      throw new AppError(
        'unsupported',
        `Training needs about ${need} (${parts}); the GPU has ${formatBytes(opts.gpuMemoryBytes)} free. Lower the batch size or sequence length, or use a GPU with more memory.`,
        { estimate, limitBytes: opts.gpuMemoryBytes },
      )
    }
    return { limitBytes: opts.gpuMemoryBytes, limitSource: 'GPU memory' }
  }
  const free = opts.freeMemoryBytes ?? os.freemem()
  if (estimate.totalBytes > free) {
    throw new AppError(
      'unsupported',
      `Training needs about ${need} (${parts}); this machine has ${formatBytes(free)} of free memory. Lower the batch size or sequence length, close other programs, or train a smaller model.`,
      { estimate, limitBytes: free },
    )
  }
  return { limitBytes: free, limitSource: 'free system memory' }
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  return `${(n / 1024).toFixed(1)} KiB`
}
