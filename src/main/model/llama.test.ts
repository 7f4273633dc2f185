// The Llama model on every test backend: causality, GQA against repeated-head MHA, the KV cache against the full
// forward, weight round trips, initial loss, whole-model gradients against tfjs's stock ops, and learning.
import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { NamedTensors } from '../weights/named-tensors'
import { STOCK_KERNELS } from './kernels'
import { LlamaModel } from './llama'
import { Prng } from '../util/prng'
import { TEST_BACKENDS, maxAbsDiff, randomIds, randomTensors, relDiff, tinyConfig, useBackend } from './test-helpers'

const ids2d = (ids: number[][]): tf.Tensor2D => tf.tensor2d(ids, [ids.length, ids[0]!.length], 'int32')

function logitsOf(model: LlamaModel, ids: number[][]): Float32Array {
  return tf.tidy(() => model.logits(ids2d(ids)).dataSync() as Float32Array)
}

describe.each(TEST_BACKENDS)('LlamaModel on %s', (backend) => {
  beforeAll(() => useBackend(backend))
  // Variable names are global: a failed test must not leave its model's names registered.
  afterEach(() => tf.disposeVariables())

  it('is causal: changing a later token leaves earlier logits unchanged', () => {
    const cfg = tinyConfig()
    const model = LlamaModel.fromNamedTensors(cfg, randomTensors(cfg, 1))
    const a = [[3, 9, 1, 30, 7, 2, 11, 5]]
    const b = [[3, 9, 1, 30, 8, 2, 11, 5]]
    const la = logitsOf(model, a)
    const lb = logitsOf(model, b)
    const v = cfg.vocabSize
    expect(maxAbsDiff(la.subarray(0, 4 * v), lb.subarray(0, 4 * v))).toBe(0)
    expect(maxAbsDiff(la.subarray(4 * v), lb.subarray(4 * v))).toBeGreaterThan(1e-3)
    model.dispose()
  })

  it('GQA equals multi-head attention with each key-value head repeated for its group of query heads', () => {
    const gqa = tinyConfig({ numAttentionHeads: 4, numKeyValueHeads: 2 })
    const mha = { ...gqa, numKeyValueHeads: 4 }
    const tensors = randomTensors(gqa, 2)
    const hd = gqa.hiddenSize / gqa.numAttentionHeads
    const repeated: NamedTensors = new Map(tensors)
    for (const [name, t] of tensors) {
      if (!/\.(k_proj|v_proj)\.weight$/.test(name)) continue
      // repeat_kv order: kv head j serves query heads j*rep .. j*rep + rep - 1.
      const rows = hd * gqa.hiddenSize
      const data = new Float32Array(mha.numKeyValueHeads * rows)
      for (let h = 0; h < mha.numKeyValueHeads; h++) data.set(t.data.subarray(Math.floor(h / 2) * rows, (Math.floor(h / 2) + 1) * rows), h * rows)
      repeated.set(name, { shape: [mha.numKeyValueHeads * hd, gqa.hiddenSize], data })
    }
    const ids = randomIds(new Prng(4), 2, 9, gqa.vocabSize)
    for (const attention of ['per-head', 'batched'] as const) {
      const m1 = LlamaModel.fromNamedTensors(gqa, tensors, { kernels: { attention }, namePrefix: 'gqa/' })
      const m2 = LlamaModel.fromNamedTensors(mha, repeated, { kernels: { attention }, namePrefix: 'mha/' })
      expect(maxAbsDiff(logitsOf(m1, ids), logitsOf(m2, ids))).toBeLessThan(2e-5)
      m1.dispose()
      m2.dispose()
    }
  })

  it('the KV cache gives the logits of the full forward (prompt in one call, then token by token)', () => {
    const cfg = tinyConfig()
    const model = LlamaModel.fromNamedTensors(cfg, randomTensors(cfg, 3))
    const ids = randomIds(new Prng(5), 2, 10, cfg.vocabSize)
    const full = logitsOf(model, ids)
    const v = cfg.vocabSize
    const cache = model.createCache(2)
    try {
      const check = (last: Float32Array, pos: number): void => {
        for (let b = 0; b < 2; b++) {
          const expected = full.subarray((b * 10 + pos) * v, (b * 10 + pos + 1) * v)
          expect(maxAbsDiff(last.subarray(b * v, (b + 1) * v), expected)).toBeLessThan(2e-5)
        }
      }
      const prompt = tf.tidy(() => model.forwardCached(ids2d(ids.map((s) => s.slice(0, 6))), cache).dataSync() as Float32Array)
      check(prompt, 5)
      for (let pos = 6; pos < 10; pos++) {
        const step = tf.tidy(() => model.forwardCached(ids2d(ids.map((s) => s.slice(pos, pos + 1))), cache).dataSync() as Float32Array)
        check(step, pos)
      }
      expect(cache.length).toBe(10)
    } finally {
      cache.dispose()
      model.dispose()
    }
  })

  it('round-trips through named tensors in the HF layout, untied and tied', () => {
    for (const tie of [false, true]) {
      const cfg = tinyConfig({ tieWordEmbeddings: tie })
      const tensors = randomTensors(cfg, 6)
      const model = LlamaModel.fromNamedTensors(cfg, tensors, { namePrefix: 'a/' })
      const out = model.toNamedTensors()
      expect([...out.keys()]).toEqual([...tensors.keys()])
      for (const [name, t] of tensors) {
        expect(out.get(name)!.shape).toEqual(t.shape)
        expect(maxAbsDiff(out.get(name)!.data, t.data)).toBe(0)
      }
      const again = LlamaModel.fromNamedTensors(cfg, out, { namePrefix: 'b/' })
      const ids = [[1, 2, 3, 4]]
      expect(maxAbsDiff(logitsOf(model, ids), logitsOf(again, ids))).toBe(0)
      expect(model.variables().map((v) => v.name)).toEqual([...tensors.keys()].filter((n) => !(tie && n === 'lm_head.weight')).map((n) => `a/${n}`))
      model.dispose()
      again.dispose()
    }
  })

  it('initialises deterministically from the seed: N(0, 0.02) matrices, unit norms, loss near ln(vocab)', () => {
    const cfg = tinyConfig({ vocabSize: 512 })
    const a = LlamaModel.init(cfg, 42, { namePrefix: 'a/' }).toNamedTensors()
    const modelB = LlamaModel.init(cfg, 42, { namePrefix: 'b/' })
    const b = modelB.toNamedTensors()
    const c = LlamaModel.init(cfg, 43, { namePrefix: 'c/' }).toNamedTensors()
    for (const [name, t] of a) {
      expect(maxAbsDiff(t.data, b.get(name)!.data)).toBe(0)
      if (t.shape.length === 1) expect(Array.from(t.data).every((x) => x === 1)).toBe(true)
    }
    const e = a.get('model.embed_tokens.weight')!.data
    const std = Math.sqrt(e.reduce((s, x) => s + x * x, 0) / e.length)
    expect(std).toBeGreaterThan(0.019)
    expect(std).toBeLessThan(0.021)
    expect(maxAbsDiff(e, c.get('model.embed_tokens.weight')!.data)).toBeGreaterThan(0.01)
    const ids = randomIds(new Prng(8), 2, 16, cfg.vocabSize)
    const loss = tf.tidy(() => modelB.loss(ids2d(ids), ids2d(ids.map((s) => s.map((x) => (x + 1) % cfg.vocabSize)))).dataSync()[0]!)
    expect(Math.abs(loss - Math.log(cfg.vocabSize))).toBeLessThan(0.05)
    tf.disposeVariables()
  })

  it.each([
    { attention: 'per-head', seq: 7, tie: false },
    { attention: 'batched', seq: 7, tie: true },
    // Past 4 x headDim the fused layers recompute the attention probabilities in the backward pass.
    { attention: 'per-head', seq: 37, tie: true },
    { attention: 'batched', seq: 37, tie: false },
  ] as const)('whole-model gradients ($attention attention, seq $seq, tied $tie) equal those of tfjs\'s stock ops, with ignored targets', ({ attention, seq, tie }) => {
    const cfg = tinyConfig({ tieWordEmbeddings: tie })
    const tensors = randomTensors(cfg, 9, 0.1)
    const ids = randomIds(new Prng(10), 2, seq, cfg.vocabSize)
    const targets = ids.map((s) => s.map((x, i) => (i === 3 ? -1 : (x * 7 + 1) % cfg.vocabSize)))
    const grads = (model: LlamaModel): Map<string, Float32Array> => {
      const out = new Map<string, Float32Array>()
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => model.loss(ids2d(ids), ids2d(targets)), model.variables())
        expect(Number.isFinite(value.dataSync()[0])).toBe(true)
        for (const [name, g] of Object.entries(grads)) out.set(name.replace(/^[a-z]+\//, ''), g.dataSync() as Float32Array)
      })
      return out
    }
    const fast = LlamaModel.fromNamedTensors(cfg, tensors, { namePrefix: 'fast/', kernels: { attention } })
    const stock = LlamaModel.fromNamedTensors(cfg, tensors, { namePrefix: 'stock/', kernels: STOCK_KERNELS })
    grads(fast)
    // After a first call has built the kept mask and RoPE tables, a step leaves no tensor behind.
    const before = tf.memory().numTensors
    const gf = grads(fast)
    expect(tf.memory().numTensors).toBe(before)
    const gs = grads(stock)
    expect([...gf.keys()]).toEqual([...gs.keys()])
    for (const [name, g] of gf) expect(relDiff(g, gs.get(name)!), name).toBeLessThan(1e-4)
    fast.dispose()
    stock.dispose()
  })

  it('learns: Adam drives the loss on a repeated sequence near zero', () => {
    const cfg = tinyConfig({ vocabSize: 32, numHiddenLayers: 1 })
    const model = LlamaModel.init(cfg, 1)
    const seq = Array.from({ length: 17 }, (_, i) => (i * 5 + 3) % cfg.vocabSize)
    const x = ids2d([seq.slice(0, 16), seq.slice(0, 16)])
    const y = ids2d([seq.slice(1), seq.slice(1)])
    const opt = tf.train.adam(0.01)
    let first = 0
    let last = 0
    for (let step = 0; step < 200; step++) {
      const loss = opt.minimize(() => model.loss(x, y), true, model.variables())!
      const v = loss.dataSync()[0]!
      loss.dispose()
      if (step === 0) first = v
      last = v
    }
    expect(first).toBeGreaterThan(3)
    expect(last).toBeLessThan(0.05)
    opt.dispose()
    model.dispose()
    tf.dispose([x, y])
  })

  it('generates: greedy decoding repeats what it learnt, seeds make sampling reproducible, EOS and abort stop it', async () => {
    const cfg = tinyConfig({ vocabSize: 16, numHiddenLayers: 1, eosTokenId: 2 })
    const model = LlamaModel.fromNamedTensors(cfg, randomTensors(cfg, 12, 0.3))
    const collect = async (opts: Parameters<LlamaModel['generate']>[1], prompt = [1, 5, 7]): Promise<number[]> => {
      const out: number[] = []
      for await (const t of model.generate(prompt, opts)) out.push(t)
      return out
    }
    const greedy = await collect({ maxNewTokens: 8, temperature: 0, stopAtEos: false })
    expect(greedy).toHaveLength(8)
    // Greedy tokens are the argmax of the full forward at each position.
    const ids = [1, 5, 7, ...greedy]
    const full = logitsOf(model, [ids])
    for (let i = 0; i < greedy.length; i++) {
      const row = full.subarray((2 + i) * cfg.vocabSize, (3 + i) * cfg.vocabSize)
      expect(row.indexOf(Math.max(...row))).toBe(greedy[i])
    }
    const s1 = await collect({ maxNewTokens: 10, temperature: 1, topK: 5, topP: 0.9, seed: 3, stopAtEos: false })
    const s2 = await collect({ maxNewTokens: 10, temperature: 1, topK: 5, topP: 0.9, seed: 3, stopAtEos: false })
    expect(s1).toEqual(s2)
    const withEos = await collect({ maxNewTokens: 200, temperature: 1.5, seed: 1 })
    if (withEos.length < 200) expect(withEos.at(-1)).toBe(2)
    const controller = new AbortController()
    const out: number[] = []
    for await (const t of model.generate([1], { maxNewTokens: 50, temperature: 0, stopAtEos: false, signal: controller.signal })) {
      out.push(t)
      if (out.length === 3) controller.abort()
    }
    expect(out).toHaveLength(3)
    const before = tf.memory().numTensors
    await collect({ maxNewTokens: 4, temperature: 0 })
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
  })
})
