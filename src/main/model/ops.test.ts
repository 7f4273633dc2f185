// Hand-written gradients against finite differences and against tfjs's own ops, on every test backend.
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { STOCK_KERNELS, applyCrossEntropy, applyRmsNorm, applyRope, applySwiglu } from './kernels'
import { crossEntropy, embedding, matmul, rmsNorm, swiglu } from './ops'
import { Prng } from '../util/prng'
import { Rope } from './rope'
import { TEST_BACKENDS, relDiff, useBackend } from './test-helpers'

const rng = new Prng(11)
const randn = (shape: number[], std = 1): tf.Tensor => tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), std), shape)

/** Gradient of sum(f(...xs) * r) for a fixed random r, so every output element matters. */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], r: tf.Tensor): Float32Array[] {
  return tf.tidy(() => tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), r)))(xs).map((g) => g.dataSync() as Float32Array))
}

/** Central finite difference of sum(f(x) * r) at element i of x (float32; exact up to rounding for f linear in x). */
function finiteDiff(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, r: tf.Tensor, i: number, h: number): number {
  return tf.tidy(() => {
    const base = x.dataSync().slice() as Float32Array
    const at = (delta: number): number => {
      const v = base.slice()
      v[i] = v[i]! + delta
      return tf.sum(tf.mul(f(tf.tensor(v, x.shape)), r)).dataSync()[0]!
    }
    return (at(h) - at(-h)) / (2 * h)
  })
}

describe.each(TEST_BACKENDS)('custom gradients on %s', (backend) => {
  beforeAll(() => useBackend(backend))
  afterAll(() => tf.disposeVariables())

  it('matmul: both gradients equal tf.matMul\'s and finite differences', () => {
    const a = randn([6, 5])
    const b = randn([5, 7])
    const r = randn([6, 7])
    const ours = gradsOf((x, y) => matmul(x as tf.Tensor2D, y as tf.Tensor2D), [a, b], r)
    const stock = gradsOf((x, y) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D), [a, b], r)
    expect(relDiff(ours[0]!, stock[0]!)).toBeLessThan(1e-6)
    expect(relDiff(ours[1]!, stock[1]!)).toBeLessThan(1e-6)
    for (const i of [0, 13, 29]) {
      expect(finiteDiff((x) => matmul(x as tf.Tensor2D, b as tf.Tensor2D), a, r, i, 0.05)).toBeCloseTo(ours[0]![i]!, 3)
      expect(finiteDiff((y) => matmul(a as tf.Tensor2D, y as tf.Tensor2D), b, r, i, 0.05)).toBeCloseTo(ours[1]![i]!, 3)
    }
  })

  it('embedding: the scatter gradient sums repeated ids, equals the one-hot product\'s and finite differences', () => {
    const table = randn([9, 4])
    const ids = tf.tensor2d([[1, 3, 1], [8, 1, 0]], [2, 3], 'int32')
    const r = randn([2, 3, 4])
    const [ours] = gradsOf((t) => embedding(t as tf.Tensor2D, ids), [table], r)
    const [stock] = gradsOf((t) => tf.matMul(tf.oneHot(ids.reshape([-1]) as tf.Tensor1D, 9).toFloat(), t as tf.Tensor2D).reshape([2, 3, 4]), [table], r)
    expect(relDiff(ours!, stock!)).toBeLessThan(1e-6)
    // Row 1 appears three times, row 2 never.
    expect(Array.from(ours!.subarray(8, 12))).toEqual([0, 0, 0, 0])
    for (const i of [4, 5, 32, 0]) {
      expect(finiteDiff((t) => embedding(t as tf.Tensor2D, ids), table, r, i, 0.05)).toBeCloseTo(ours![i]!, 3)
    }
  })

  it('RMSNorm: value and gradients equal the composed tfjs ops', () => {
    const x = randn([7, 16], 2)
    const w = randn([16])
    const r = randn([7, 16])
    const ours = gradsOf((a, b) => rmsNorm(a!, b as tf.Tensor1D, 1e-5), [x, w], r)
    const stock = gradsOf((a, b) => applyRmsNorm(STOCK_KERNELS, a as tf.Tensor2D, b as tf.Tensor1D, 1e-5), [x, w], r)
    expect(relDiff(ours[0]!, stock[0]!)).toBeLessThan(1e-5)
    expect(relDiff(ours[1]!, stock[1]!)).toBeLessThan(1e-5)
    const v1 = tf.tidy(() => rmsNorm(x, w as tf.Tensor1D, 1e-5).dataSync())
    const v2 = tf.tidy(() => applyRmsNorm(STOCK_KERNELS, x as tf.Tensor2D, w as tf.Tensor1D, 1e-5).dataSync())
    expect(relDiff(v1, v2)).toBeLessThan(1e-6)
  })

  it('SwiGLU: gradients equal silu(gate) * up composed from tfjs ops', () => {
    const g = randn([5, 12], 3)
    const u = randn([5, 12])
    const r = randn([5, 12])
    const ours = gradsOf((a, b) => swiglu(a!, b!), [g, u], r)
    const stock = gradsOf((a, b) => applySwiglu(STOCK_KERNELS, a as tf.Tensor2D, b as tf.Tensor2D), [g, u], r)
    expect(relDiff(ours[0]!, stock[0]!)).toBeLessThan(1e-5)
    expect(relDiff(ours[1]!, stock[1]!)).toBeLessThan(1e-5)
  })

  it('cross-entropy: value and gradient equal log-softmax + NLL, ignoring targets of -1', () => {
    const logits = randn([6, 11], 3)
    const targets = tf.tensor1d([3, -1, 10, 0, -1, 3], 'int32')
    const lossOurs = tf.tidy(() => crossEntropy(logits as tf.Tensor2D, targets).dataSync()[0]!)
    const lossStock = tf.tidy(() => applyCrossEntropy(STOCK_KERNELS, logits as tf.Tensor2D, targets).dataSync()[0]!)
    expect(lossOurs).toBeCloseTo(lossStock, 5)
    const gOurs = tf.tidy(() => tf.grad((x: tf.Tensor) => crossEntropy(x as tf.Tensor2D, targets))(logits).dataSync())
    const gStock = tf.tidy(() => tf.grad((x: tf.Tensor) => applyCrossEntropy(STOCK_KERNELS, x as tf.Tensor2D, targets))(logits).dataSync())
    expect(relDiff(gOurs, gStock)).toBeLessThan(1e-5)
    // Ignored rows get no gradient.
    expect(Array.from(gOurs.subarray(11, 22)).every((v) => v === 0)).toBe(true)
  })

  it('cross-entropy with every target ignored is 0 with a zero gradient', () => {
    const logits = randn([3, 5])
    const targets = tf.tensor1d([-1, -1, -1], 'int32')
    expect(tf.tidy(() => crossEntropy(logits as tf.Tensor2D, targets).dataSync()[0])).toBe(0)
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => crossEntropy(x as tf.Tensor2D, targets))(logits).dataSync())
    expect(Array.from(g).every((v) => v === 0)).toBe(true)
  })

  it('RoPE as a product with a fixed matrix equals HF\'s slice-and-concat rotate_half, values and gradients', () => {
    const rope = new Rope(8, 10000)
    const x = randn([2, 5, 3, 8])
    const r = randn([2, 5, 3, 8])
    for (const start of [0, 7]) {
      const ours = gradsOf((a) => applyRope({ ...STOCK_KERNELS, rope: 'matmul' }, rope, a as tf.Tensor4D, start), [x], r)
      const stock = gradsOf((a) => applyRope(STOCK_KERNELS, rope, a as tf.Tensor4D, start), [x], r)
      expect(relDiff(ours[0]!, stock[0]!)).toBeLessThan(1e-5)
      const v1 = tf.tidy(() => applyRope({ ...STOCK_KERNELS, rope: 'matmul' }, rope, x as tf.Tensor4D, start).dataSync())
      const v2 = tf.tidy(() => applyRope(STOCK_KERNELS, rope, x as tf.Tensor4D, start).dataSync())
      expect(relDiff(v1, v2)).toBeLessThan(1e-6)
    }
    rope.dispose()
  })

  it('slice, split, unstack and transpose give the same values as on the cpu backend', async () => {
    const data = rng.normalArray(3 * 4 * 5 * 6, 1)
    const shapes: [number[], number[], number[]][] = [
      [[3, 4, 5, 6], [1, 0, 2, 0], [2, 4, 3, 6]],
      [[3, 4, 5, 6], [0, 1, 0, 3], [3, 2, 5, 2]],
      [[12, 30], [5, 7], [4, 20]],
      [[360], [17], [100]],
    ]
    const results: number[][] = []
    for (const [shape, begin, size] of shapes) {
      results.push(Array.from(tf.tidy(() => tf.slice(tf.tensor(data, shape), begin, size).dataSync())))
    }
    const transposes: [number[], number[], 'float32' | 'int32'][] = [
      [[37, 9], [1, 0], 'float32'],
      [[3, 13, 9], [0, 2, 1], 'float32'],
      [[2, 3, 20, 3], [0, 1, 3, 2], 'int32'],
      [[2, 3, 20, 3], [0, 2, 1, 3], 'float32'],
    ]
    const transposed = transposes.map(([shape, perm, dtype]) =>
      Array.from(tf.tidy(() => tf.transpose(tf.tensor(data.slice(0, shape.reduce((a, b) => a * b, 1)), shape).cast(dtype), perm).dataSync())),
    )
    const unstacked = tf.tidy(() => tf.unstack(tf.tensor(data, [3, 4, 30]), 1).map((t) => Array.from(t.dataSync())))
    const split = tf.tidy(() => tf.split(tf.tensor(data, [3, 4, 30]), [10, 20], 2).map((t) => Array.from(t.dataSync())))
    await useBackend('cpu')
    try {
      shapes.forEach(([shape, begin, size], i) => {
        expect(results[i]).toEqual(Array.from(tf.tidy(() => tf.slice(tf.tensor(data, shape), begin, size).dataSync())))
      })
      transposes.forEach(([shape, perm, dtype], i) => {
        const expected = tf.tidy(() => tf.transpose(tf.tensor(data.slice(0, shape.reduce((a, b) => a * b, 1)), shape).cast(dtype), perm).dataSync())
        expect(transposed[i]).toEqual(Array.from(expected))
      })
      expect(unstacked).toEqual(tf.tidy(() => tf.unstack(tf.tensor(data, [3, 4, 30]), 1).map((t) => Array.from(t.dataSync()))))
      expect(split).toEqual(tf.tidy(() => tf.split(tf.tensor(data, [3, 4, 30]), [10, 20], 2).map((t) => Array.from(t.dataSync()))))
    } finally {
      await useBackend(backend)
    }
  })
})
