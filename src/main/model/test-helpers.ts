// Shared by the model tests: the backends every test runs on, random weights, and array comparisons.
import { type LlamaConfig, presetConfig, tensorShapes } from '../weights/llama-config'
import { type NamedTensors, elementCount } from '../weights/named-tensors'
import { type BackendName, selectBackend } from './backend'
import { Prng } from '../util/prng'

export const TEST_BACKENDS: BackendName[] = ['cpu', 'wasm']

/** One wasm thread: the test machines are shared, and a busy second core stalls the thread pool (backend.test.ts covers threads). */
export async function useBackend(name: BackendName): Promise<void> {
  await selectBackend(name, { wasmThreads: 1 })
}

/** The debug preset (hidden 64, 2 layers, 4 heads / 2 KV heads) shrunk further unless told otherwise. */
export function tinyConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return { ...presetConfig('debug', 40), hiddenSize: 32, intermediateSize: 48, ...overrides }
}

/** Weights with a larger spread than the 0.02 init, so attention is far from uniform; norms around 1. */
export function randomTensors(cfg: LlamaConfig, seed: number, std = 0.25): NamedTensors {
  const rng = new Prng(seed)
  const out: NamedTensors = new Map()
  for (const [name, shape] of tensorShapes(cfg)) {
    const n = elementCount(shape)
    const data = shape.length === 1 ? Float32Array.from({ length: n }, () => 1 + 0.3 * rng.normal()) : rng.normalArray(n, std)
    out.set(name, { shape, data })
  }
  if (cfg.tieWordEmbeddings) out.set('lm_head.weight', { ...out.get('model.embed_tokens.weight')! })
  return out
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!))
  return m
}

/** Largest difference relative to the largest magnitude of b. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-12
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!))
  return maxAbsDiff(a, b) / scale
}

export function randomIds(rng: Prng, b: number, t: number, vocab: number): number[][] {
  return Array.from({ length: b }, () => Array.from({ length: t }, () => rng.int(vocab)))
}
