// Sampling rules: temperature 0 is argmax, top-k and top-p cut the tail, a seed fixes the draw.
import { describe, expect, it } from 'vitest'
import { sample } from './generate'
import { Prng } from '../util/prng'

const logits = Float32Array.from([0.5, 3, 2.9, -1, 1])

describe('sample', () => {
  it('is argmax at temperature 0, or with top-k 1, or a tiny top-p', () => {
    const rng = new Prng(1)
    expect(sample(logits, { temperature: 0 }, rng)).toBe(1)
    for (let i = 0; i < 50; i++) expect(sample(logits, { topK: 1 }, rng)).toBe(1)
    for (let i = 0; i < 50; i++) expect(sample(logits, { topP: 0.01 }, rng)).toBe(1)
  })

  it('draws only from the top-k tokens, in proportion to their probabilities', () => {
    const rng = new Prng(2)
    const counts = new Map<number, number>()
    for (let i = 0; i < 4000; i++) {
      const t = sample(logits, { topK: 2 }, rng)
      counts.set(t, (counts.get(t) ?? 0) + 1)
    }
    expect([...counts.keys()].sort()).toEqual([1, 2])
    // p(1) / p(2) = e^0.1
    expect(counts.get(1)! / counts.get(2)!).toBeCloseTo(Math.exp(0.1), 0)
  })

  it('top-p keeps the smallest set reaching p', () => {
    const rng = new Prng(3)
    const seen = new Set<number>()
    for (let i = 0; i < 2000; i++) seen.add(sample(logits, { topP: 0.8 }, rng))
    // Probabilities: 0.47, 0.42 (tokens 1, 2) already reach 0.8.
    expect([...seen].sort()).toEqual([1, 2])
  })

  it('gives the same draws for the same seed', () => {
    const a = Array.from({ length: 20 }, (_, i) => sample(logits, { temperature: 1.3 }, new Prng(i)))
    const b = Array.from({ length: 20 }, (_, i) => sample(logits, { temperature: 1.3 }, new Prng(i)))
    expect(a).toEqual(b)
    expect(new Set(a).size).toBeGreaterThan(1)
  })
})
