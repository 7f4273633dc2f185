// A small seeded random generator whose whole state is one number, so a checkpoint can store and restore it.
/** Mulberry32: 32-bit state, good enough for shuffling and sampling; `state` is the whole generator. */
export class Rng {
  constructor(public state: number) {
    this.state = state >>> 0
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** A Fisher-Yates shuffled permutation of 0..n-1. */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n)
    for (let i = 0; i < n; i++) p[i] = i
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = p[i]!
      p[i] = p[j]!
      p[j] = t
    }
    return p
  }
}

/** Mixes numbers into one 32-bit seed (for per-epoch streams derived from the run seed). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0
    h = (h ^ (h >>> 13)) >>> 0
  }
  return h
}
