// llama.cpp (through node-llama-cpp, CPU only) as a reference implementation: next-token distributions of a GGUF
// model, to compare our own model against. node-llama-cpp has no raw-logits API; with greedy sampling options
// (temperature 0) its `probabilities` are the softmax of the raw logits over the whole vocabulary, computed in
// float32, so a log-probability below about -87 relative to the top token underflows to -Infinity.
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp'
import { AppError } from '../../shared/errors'

let llamaPromise: Promise<Llama> | undefined

/** One CPU llama.cpp instance per process (loading the native binding is the slow part). */
export function cpuLlama(): Promise<Llama> {
  llamaPromise ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) => getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false }))
  return llamaPromise
}

export interface LlamaCppReference {
  model: LlamaModel
  /** Natural-log probabilities of every token (index = token id) after evaluating `tokens` from an empty context. */
  nextTokenLogProbs(tokens: readonly number[]): Promise<Float32Array>
  /** Greedy continuation of `tokens` (from an empty context), end-of-generation tokens included. */
  greedy(tokens: readonly number[], count: number): Promise<number[]>
  close(): Promise<void>
}

/**
 * Loads a GGUF model for repeated reference evaluations: CPU, one thread (2-core machines stall with more),
 * an F32 KV cache and no flash attention unless asked (llama.cpp's default F16 cache rounds keys and values).
 */
export async function openLlamaCppReference(
  modelPath: string,
  opts: { contextSize?: number; threads?: number; kvCache?: 'F32' | 'F16' } = {},
): Promise<LlamaCppReference> {
  const llama = await cpuLlama()
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 })
  const contextSize = opts.contextSize ?? Math.min(512, model.trainContextSize)
  let context: LlamaContext
  try {
    const kv = opts.kvCache ?? 'F32'
    context = await model.createContext({
      contextSize,
      threads: opts.threads ?? 1,
      sequences: 1,
      flashAttention: false,
      experimentalKvCacheKeyType: kv,
      experimentalKvCacheValueType: kv,
    })
  } catch (err) {
    await model.dispose()
    throw err
  }
  const sequence: LlamaContextSequence = context.getSequence()
  return {
    model,
    async nextTokenLogProbs(tokens) {
      if (tokens.length === 0) throw new AppError('invalid_input', 'Give at least one token to evaluate')
      if (tokens.length > contextSize) throw new AppError('invalid_input', `${tokens.length} tokens do not fit the reference context of ${contextSize}`)
      await sequence.clearHistory()
      const input = tokens.map((t, i) => (i === tokens.length - 1 ? ([t, { generateNext: { probabilities: true, options: { temperature: 0 } } }] as const) : t))
      const out = await sequence.controlledEvaluate(input as Parameters<LlamaContextSequence['controlledEvaluate']>[0])
      const probs = out[tokens.length - 1]?.next.probabilities
      if (!probs) throw new Error('llama.cpp returned no probabilities')
      // With greedy options the map holds every token of the vocabulary (llama.cpp's n_vocab).
      const logProbs = new Float32Array(probs.size).fill(Number.NaN)
      for (const [token, p] of probs) {
        if (token >= probs.size) throw new Error(`llama.cpp returned token ${token} outside its ${probs.size} probabilities`)
        logProbs[token] = Math.log(p)
      }
      return logProbs
    },
    async greedy(tokens, count) {
      if (tokens.length + count > contextSize) throw new AppError('invalid_input', `${tokens.length} + ${count} tokens do not fit the reference context of ${contextSize}`)
      await sequence.clearHistory()
      const out: number[] = []
      if (count <= 0) return out
      for await (const token of sequence.evaluate([...tokens] as Token[], { temperature: 0, yieldEogToken: true })) {
        out.push(token)
        if (out.length >= count) break
      }
      return out
    },
    async close() {
      await context.dispose()
      await model.dispose()
    },
  }
}

/** The full next-token distribution (natural-log probabilities) llama.cpp computes after `tokens`. */
export async function llamaCppNextTokenLogProbs(modelPath: string, tokens: readonly number[]): Promise<Float32Array> {
  const ref = await openLlamaCppReference(modelPath, { contextSize: Math.max(16, tokens.length) })
  try {
    return await ref.nextTokenLogProbs(tokens)
  } finally {
    await ref.close()
  }
}
