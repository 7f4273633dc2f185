// Seeded random numbers: the same seed gives the same data order, test data, initial model and samples everywhere.

/** Floats, integers and permutations from a source of 32 random bits. */
abstract class Random32 {
  /** The next 32 random bits as an unsigned integer. */
  abstract nextUint32(): number

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296
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

/** Mulberry32: 32-bit state, good enough for shuffling and sampling; `state` is the whole generator, so a checkpoint can store it. */
export class Rng extends Random32 {
  constructor(public state: number) {
    super()
    this.state = state >>> 0
  }

  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** SplitMix32-seeded xoshiro128** with normal samples, for weight initialisation and sampling. */
export class Prng extends Random32 {
  private s0: number
  private s1: number
  private s2: number
  private s3: number
  private spare: number | null = null

  constructor(seed: number) {
    super()
    // SplitMix32 expands the seed so that nearby seeds give unrelated streams and the state is never all zero.
    let x = seed >>> 0
    const mix = (): number => {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.s0 = mix()
    this.s1 = mix()
    this.s2 = mix()
    this.s3 = mix()
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0
    const t = (this.s1 << 9) >>> 0
    this.s2 = (this.s2 ^ this.s0) >>> 0
    this.s3 = (this.s3 ^ this.s1) >>> 0
    this.s1 = (this.s1 ^ this.s2) >>> 0
    this.s0 = (this.s0 ^ this.s3) >>> 0
    this.s2 = (this.s2 ^ t) >>> 0
    this.s3 = rotl(this.s3, 11)
    return result
  }

  /** A standard normal sample (Box-Muller, both values of each pair used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare
      this.spare = null
      return s
    }
    let u = 0
    while (u === 0) u = this.next()
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** `n` normal samples with standard deviation `std`. */
  normalArray(n: number, std: number): Float32Array {
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) out[i] = this.normal() * std
    return out
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
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

/** A per-tensor seed from the model seed and the tensor's name, so adding a tensor does not shift the others. */
export function seedFor(seed: number, name: string): number {
  return fnv1a(name, (seed ^ FNV_BASIS) >>> 0)
}

const FNV_BASIS = 0x811c9dc5

/** 32-bit FNV-1a over a string's UTF-16 code units, unsigned (data splits, seeds, cache file names). */
export function fnv1a(text: string, basis: number = FNV_BASIS): number {
  let h = basis
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h
}
