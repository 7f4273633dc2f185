// LSH banding of MinHash signatures, the Jaccard estimate, and an in-memory near-duplicate index with union-find clusters.
import { fmix32 } from './chars'

/** Fraction of equal positions: an unbiased estimate of the Jaccard similarity of the two shingle sets. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) throw new Error(`signatures differ in length (${a.length} and ${b.length})`)
  if (a.length === 0) return 0
  let equal = 0
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) equal++
  return equal / a.length
}

/** Integral of f over [from, to] by Simpson's rule (f is smooth and monotone here). */
function integrate(f: (s: number) => number, from: number, to: number): number {
  const steps = 64
  const h = (to - from) / steps
  let sum = f(from) + f(to)
  for (let i = 1; i < steps; i++) sum += f(from + i * h) * (i % 2 === 1 ? 4 : 2)
  return (sum * h) / 3
}

export interface BandWeights {
  /** Weight of the false-positive area (pairs below the threshold that become candidates). Default 0.5. */
  falsePositive: number
  /** Weight of the false-negative area (pairs above the threshold that are missed). Default 0.5. */
  falseNegative: number
}

const chosen = new Map<string, { bands: number; rows: number }>()

/**
 * LSH parameters for a Jaccard threshold, as datasketch's `_optimal_param`: of all (bands, rows) with
 * bands * rows <= numPerm, the one minimising the weighted areas under the candidate-probability curve
 * 1 - (1 - s^rows)^bands below the threshold (false positives) and above it (false negatives).
 * (0.8, 128) gives 9 bands of 13 rows, as datasketch; 11 of the 128 values are then not used for banding.
 * The search takes milliseconds, so results are remembered.
 */
export function bandsForThreshold(
  threshold: number,
  numPerm: number,
  weights: BandWeights = { falsePositive: 0.5, falseNegative: 0.5 },
): { bands: number; rows: number } {
  if (!(threshold > 0 && threshold < 1)) throw new Error(`threshold must be in (0, 1), got ${threshold}`)
  const key = `${threshold}:${numPerm}:${weights.falsePositive}:${weights.falseNegative}`
  const known = chosen.get(key)
  if (known !== undefined) return { ...known }
  let best = { bands: 1, rows: 1 }
  let bestError = Infinity
  for (let bands = 1; bands <= numPerm; bands++) {
    for (let rows = 1; bands * rows <= numPerm; rows++) {
      const candidate = (s: number): number => 1 - (1 - s ** rows) ** bands
      const falsePositive = integrate(candidate, 0, threshold)
      const falseNegative = integrate((s) => 1 - candidate(s), threshold, 1)
      const error = falsePositive * weights.falsePositive + falseNegative * weights.falseNegative
      if (error < bestError) {
        bestError = error
        best = { bands, rows }
      }
    }
  }
  chosen.set(key, best)
  return { ...best }
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0')
}

/**
 * One key per band, "<band>:<16 hex digits>": two independent 32-bit hashes of the band's rows. Equal bands
 * give equal keys; different bands share a key with odds about 2^-64. Plain strings, for a LanceDB column.
 */
export function bandKeys(signature: Uint32Array, bands: number, rows: number): string[] {
  if (bands * rows > signature.length) throw new Error(`${bands} bands of ${rows} rows need ${bands * rows} values`)
  const keys: string[] = []
  for (let band = 0; band < bands; band++) {
    let h1 = 0x2545f491 ^ band
    let h2 = 0x6c8e9cf5 ^ band
    for (let i = band * rows; i < (band + 1) * rows; i++) {
      const v = signature[i] as number
      h1 = fmix32(Math.imul(h1, 0x01000193) ^ v)
      h2 = fmix32(Math.imul(h2 ^ v, 0x5bd1e995) + 0x7f4a7c15)
    }
    keys.push(`${band}:${hex8(h1)}${hex8(h2)}`)
  }
  return keys
}

export interface NearDuplicateIndexOptions {
  /** Estimated Jaccard similarity at or above which two documents are near-duplicates. Default 0.8. */
  threshold?: number
  /** Signature length. Default 128. */
  numPerm?: number
  /**
   * Weights for choosing bands and rows. Default { falsePositive: 0.1, falseNegative: 0.9 }: candidates are
   * verified against the full signatures, so a false candidate costs one comparison while a missed one is a
   * lost duplicate. At 0.8 and 128 this gives 14 bands of 9 rows: pairs at 0.8 become candidates 87% of the
   * time (40% with datasketch's equal weights), pairs at 0.5 only 3%.
   */
  weights?: BandWeights
}

/** Band weights of the index: see NearDuplicateIndexOptions.weights. */
const RECALL_WEIGHTS: BandWeights = { falsePositive: 0.1, falseNegative: 0.9 }

/**
 * Near-duplicate detection over MinHash signatures: LSH buckets find candidates, the signature estimate
 * verifies. Everything is in memory (a signature, 4 * numPerm bytes, and `bands` bucket entries per
 * document); to persist the buckets, store bandKeys(signature, index.bands, index.rows).
 */
export class NearDuplicateIndex {
  readonly threshold: number
  readonly numPerm: number
  readonly bands: number
  readonly rows: number
  private readonly ids: string[] = []
  private readonly positions = new Map<string, number>()
  private readonly parents: number[] = []
  private readonly signatures: Uint32Array[] = []
  private readonly buckets = new Map<string, number[]>()

  constructor(options: NearDuplicateIndexOptions = {}) {
    this.threshold = options.threshold ?? 0.8
    this.numPerm = options.numPerm ?? 128
    const { bands, rows } = bandsForThreshold(this.threshold, this.numPerm, options.weights ?? RECALL_WEIGHTS)
    this.bands = bands
    this.rows = rows
  }

  /** Documents added so far. */
  get size(): number {
    return this.ids.length
  }

  /**
   * Add a document. Returns the ids of earlier documents whose estimated Jaccard similarity with it is at
   * least the threshold (in the order they were added); it joins their clusters.
   */
  add(id: string, signature: Uint32Array): string[] {
    if (this.positions.has(id)) throw new Error(`document ${id} is already in the index`)
    if (signature.length !== this.numPerm) throw new Error(`expected ${this.numPerm} values, got ${signature.length}`)
    const position = this.ids.length
    const candidates = new Set<number>()
    const keys = bandKeys(signature, this.bands, this.rows)
    for (const key of keys) {
      const bucket = this.buckets.get(key)
      if (bucket === undefined) this.buckets.set(key, [position])
      else {
        for (const other of bucket) candidates.add(other)
        bucket.push(position)
      }
    }
    this.ids.push(id)
    this.positions.set(id, position)
    this.parents.push(position)
    this.signatures.push(signature.slice())
    const matches = [...candidates]
      .sort((x, y) => x - y)
      .filter((other) => estimateJaccard(signature, this.signatures[other] as Uint32Array) >= this.threshold)
    for (const other of matches) this.union(other, position)
    return matches.map((other) => this.ids[other] as string)
  }

  /** The cluster of a document, named by its first-added member; undefined for an unknown id. */
  clusterOf(id: string): string | undefined {
    const position = this.positions.get(id)
    return position === undefined ? undefined : this.ids[this.find(position)]
  }

  private find(position: number): number {
    let root = position
    while (this.parents[root] !== root) root = this.parents[root] as number
    while (this.parents[position] !== root) {
      const next = this.parents[position] as number
      this.parents[position] = root
      position = next
    }
    return root
  }

  private union(a: number, b: number): void {
    const ra = this.find(a)
    const rb = this.find(b)
    if (ra < rb) this.parents[rb] = ra
    else if (rb < ra) this.parents[ra] = rb
  }
}
