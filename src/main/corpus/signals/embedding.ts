// A cheap deterministic "more like this" embedding: signed hashing of character n-grams, sublinear tf, L2-normalised.
import { HASH_SEED, SPACE, OTHER, charClass, fmix32, hashStep, isUnspacedClass, lowerUnit } from './chars'
import { HashCounter } from './hash-counter'

/** Default embedding dimension. */
export const EMBEDDING_DIM = 256

/** 1 + ln(count) for small counts, the common case. */
const SUBLINEAR = Float64Array.from({ length: 64 }, (_, count) => (count === 0 ? 0 : 1 + Math.log(count)))

/** Reused by every call: clearing costs the n-grams of the previous document, not a new table. */
const grams = new HashCounter()

/** Marks Han/kana n-gram hashes apart from alphabetic trigram hashes. */
const CJK_DOMAIN = 0x43a9b1d7

/**
 * Count the n-grams of a text by hash: for space-delimited scripts, character trigrams of the lower-cased
 * text in which every run of non-word characters is one space (so word starts and ends are n-grams too);
 * for Han/kana, single characters and pairs of adjacent characters.
 */
function countGrams(text: string): HashCounter {
  grams.clear()
  let u1 = 0x20
  let u2 = 0x20
  let previousCjk = -1
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i)
    if (cp >= 0xd800 && cp < 0xdc00) {
      cp = text.codePointAt(i) as number
      if (cp > 0xffff) i++
    }
    const cls = charClass(cp)
    const cjk = isUnspacedClass(cls)
    if (cjk) {
      grams.add(fmix32(hashStep(CJK_DOMAIN, cp)))
      if (previousCjk !== -1) grams.add(fmix32(hashStep(hashStep(CJK_DOMAIN, previousCjk), cp)))
      previousCjk = cp
    } else {
      previousCjk = -1
    }
    // In the alphabetic stream, Han/kana characters separate words like spaces do.
    const u3 = cjk || cls === SPACE || cls === OTHER ? 0x20 : lowerUnit(cp)
    if (u3 === 0x20 && u2 === 0x20) continue
    if (u1 !== 0x20 || u2 !== 0x20) grams.add(fmix32(hashStep(hashStep(hashStep(HASH_SEED, u1), u2), u3)))
    u1 = u2
    u2 = u3
  }
  if (u2 !== 0x20) grams.add(fmix32(hashStep(hashStep(hashStep(HASH_SEED, u1), u2), 0x20)))
  return grams
}

/**
 * Embed a text into `dim` dimensions: each distinct n-gram adds ±(1 + ln count) to the component its hash
 * picks (the sign from another bit of the hash), then the vector is scaled to unit length. Deterministic;
 * an empty text gives the zero vector. Near-copies share most n-grams and so lie close (cosine near 1).
 */
export function embed(text: string, dim = EMBEDDING_DIM): Float32Array {
  const vector = new Float32Array(dim)
  countGrams(text).forEach((hash, count) => {
    const weight = count < SUBLINEAR.length ? (SUBLINEAR[count] as number) : 1 + Math.log(count)
    const index = hash % dim
    vector[index] = (vector[index] as number) + (hash >= 0x80000000 ? -weight : weight)
  })
  let norm = 0
  for (let i = 0; i < dim; i++) norm += (vector[i] as number) ** 2
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm)
    for (let i = 0; i < dim; i++) vector[i] = (vector[i] as number) * scale
  }
  return vector
}

/** Cosine similarity of two embeddings (their dot product, as both have unit length or are zero). */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`embeddings differ in dimension (${a.length} and ${b.length})`)
  let dot = 0
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number)
  return dot
}
