// Token-by-token generation with a KV cache and seeded sampling (temperature, top-k, top-p).
import * as tf from '@tensorflow/tfjs'
import { AppError } from '../../shared/errors'
import type { LlamaModel } from './llama'
import { Prng } from '../util/prng'

export interface SamplingOptions {
  /** 0 = greedy (argmax). Default 1. */
  temperature?: number
  /** Keep only the k most likely tokens (0 or absent = all). */
  topK?: number
  /** Keep the smallest set of tokens whose probability reaches p (1 or absent = all). */
  topP?: number
}

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number
  seed?: number
  /** Stop after emitting the EOS token (default true). */
  stopAtEos?: boolean
  signal?: AbortSignal
}

/**
 * Yields new token ids one at a time. The prompt is fed in one cached forward, then one token per step;
 * generation ends at maxNewTokens, at EOS, at the model's context length, or when `signal` aborts.
 */
export async function* generateTokens(model: LlamaModel, promptIds: readonly number[], opts: GenerateOptions): AsyncGenerator<number> {
  const { vocabSize, eosTokenId, maxPositionEmbeddings } = model.config
  if (promptIds.length === 0) throw new AppError('invalid_input', 'The prompt is empty: give at least one token (for example BOS)')
  for (const id of promptIds) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new AppError('invalid_input', `Token id ${id} is outside the vocabulary of ${vocabSize}`)
  }
  if (promptIds.length >= maxPositionEmbeddings) throw new AppError('invalid_input', `The prompt has ${promptIds.length} tokens; the model's context is ${maxPositionEmbeddings}`)
  const rng = new Prng(opts.seed ?? 0)
  const cache = model.createCache(1)
  try {
    let input: number[] = [...promptIds]
    for (let i = 0; i < opts.maxNewTokens; i++) {
      if (opts.signal?.aborted) return
      if (cache.length + input.length > maxPositionEmbeddings) return
      const ids = tf.tensor2d(input, [1, input.length], 'int32')
      const logitsT = model.forwardCached(ids, cache)
      ids.dispose()
      const logits = (await logitsT.data()) as Float32Array
      logitsT.dispose()
      const next = sample(logits, opts, rng)
      yield next
      if (next === eosTokenId && opts.stopAtEos !== false) return
      input = [next]
      // Let other work (IPC, cancellation) run between tokens.
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  } finally {
    cache.dispose()
  }
}

/** Picks a token from logits with temperature, top-k and top-p; temperature 0 is argmax. */
export function sample(logits: Float32Array, opts: SamplingOptions, rng: Prng): number {
  const temperature = opts.temperature ?? 1
  if (temperature <= 0) return argmax(logits)
  const n = logits.length
  let order = Array.from({ length: n }, (_, i) => i)
  order.sort((a, b) => logits[b]! - logits[a]!)
  const topK = opts.topK && opts.topK > 0 ? Math.min(opts.topK, n) : n
  order = order.slice(0, topK)
  const max = logits[order[0]!]!
  const probs = order.map((i) => Math.exp((logits[i]! - max) / temperature))
  let total = probs.reduce((a, b) => a + b, 0)
  const topP = opts.topP ?? 1
  if (topP < 1) {
    let cum = 0
    let keep = 0
    while (keep < probs.length && cum < topP * total) cum += probs[keep++]!
    probs.length = Math.max(1, keep)
    order.length = probs.length
    total = probs.reduce((a, b) => a + b, 0)
  }
  let r = rng.next() * total
  for (let i = 0; i < probs.length; i++) {
    r -= probs[i]!
    if (r < 0) return order[i]!
  }
  return order[probs.length - 1]!
}

function argmax(x: Float32Array): number {
  let best = 0
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i
  return best
}
