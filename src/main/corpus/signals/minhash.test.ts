// Tests of MinHash signatures, LSH banding and the near-duplicate index, on English and Chinese texts.
import { describe, expect, it } from 'vitest'
import { LSH_RECALL_WEIGHTS, bandHashes, bandsForThreshold, estimateJaccard, minhash } from './minhash'
import { HAVE_DOLMA, HAVE_ZH_HELP, chineseHelpTexts, dolmaTexts } from './test-fixtures'
import { CHINESE_ARTICLE, ENGLISH_ARTICLE, changeChars, changeWords } from './test-texts'

/** A deterministic pseudo-random text of `count` words from a small vocabulary. */
function randomText(seed: number, count: number): string[] {
  let state = seed
  const words: string[] = []
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    words.push(`w${(state >>> 8) % 500}`)
  }
  return words
}

function shingleSet(words: readonly string[]): Set<string> {
  const set = new Set<string>()
  for (let i = 0; i + 5 <= words.length; i++) set.add(words.slice(i, i + 5).join(' '))
  return set
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0
  for (const x of a) if (b.has(x)) shared++
  return shared / (a.size + b.size - shared)
}

/** Probability that two documents of similarity s share at least one band. */
const candidateProbability = (s: number, bands: number, rows: number): number => 1 - (1 - s ** rows) ** bands

describe('minhash', () => {
  it('gives 128 values, identical across calls', () => {
    const a = minhash(ENGLISH_ARTICLE)
    expect(a).toBeInstanceOf(Uint32Array)
    expect(a.length).toBe(128)
    expect(minhash(ENGLISH_ARTICLE)).toEqual(a)
    expect(minhash(ENGLISH_ARTICLE, { numPerm: 64 }).length).toBe(64)
    expect(minhash(ENGLISH_ARTICLE, { seed: 2 })).not.toEqual(a)
  })

  it('ignores case and punctuation', () => {
    const sig = minhash('The quick brown fox jumps over the lazy dog')
    expect(minhash('the QUICK, brown fox -- jumps over "the" lazy dog!')).toEqual(sig)
  })

  it('finds a copy with a few words changed, and not an unrelated text', () => {
    const original = minhash(ENGLISH_ARTICLE)
    expect(estimateJaccard(original, minhash(changeWords(ENGLISH_ARTICLE, [40, 120])))).toBeGreaterThanOrEqual(0.8)
    expect(estimateJaccard(original, minhash(CHINESE_ARTICLE))).toBe(0)
  })

  it('shingles Chinese by characters, so a Chinese near-copy is found', () => {
    const original = minhash(CHINESE_ARTICLE)
    expect(estimateJaccard(original, minhash(changeChars(CHINESE_ARTICLE, [50, 200])))).toBeGreaterThanOrEqual(0.8)
    const unrelated = '今天天气很好，我们一起去公园散步吧。公园里的花都开了，孩子们在草地上玩耍，老人们坐在长椅上聊天。'
    expect(estimateJaccard(original, minhash(unrelated))).toBeLessThan(0.1)
    expect(estimateJaccard(original, minhash(changeChars(CHINESE_ARTICLE, [50, 200]), { charShingle: 3 }))).toBeLessThan(0.2)
  })

  it('estimates the Jaccard similarity of word 5-gram sets', () => {
    const errors: number[] = []
    for (let seed = 1; seed <= 20; seed++) {
      const a = randomText(seed, 400)
      const b = [...a.slice(0, 100 + seed * 10), ...randomText(seed + 1000, 60), ...a.slice(160 + seed * 10)]
      const truth = jaccard(shingleSet(a), shingleSet(b))
      errors.push(Math.abs(estimateJaccard(minhash(a.join(' ')), minhash(b.join(' '))) - truth))
    }
    expect(errors.reduce((x, y) => x + y) / errors.length).toBeLessThan(0.05)
    expect(Math.max(...errors)).toBeLessThan(0.15)
  })

  it.skipIf(!HAVE_DOLMA)('tells real web documents apart and finds their near-copies (needs shared data)', () => {
    const texts = dolmaTexts().filter((text) => text.split(/\s+/).length > 500)
    const sigs = texts.map((text) => minhash(text))
    for (let i = 0; i < texts.length; i++) {
      const text = texts[i] as string
      expect(estimateJaccard(sigs[i] as Uint32Array, minhash(changeWords(text, [20, 90, 170])))).toBeGreaterThanOrEqual(0.8)
      for (let j = i + 1; j < texts.length; j++) expect(estimateJaccard(sigs[i] as Uint32Array, sigs[j] as Uint32Array)).toBeLessThan(0.2)
    }
  })

  it.skipIf(!HAVE_ZH_HELP)('finds near-copies of real Chinese pages (needs shared data)', () => {
    const [first, second] = chineseHelpTexts().slice(10, 12) as [string, string]
    const sig = minhash(first)
    expect(estimateJaccard(sig, minhash(changeChars(first, [100, 900, 1500])))).toBeGreaterThanOrEqual(0.8)
    expect(estimateJaccard(sig, minhash(second))).toBeLessThan(0.5)
  })
})

describe('LSH bands', () => {
  it('chooses bands and rows that separate similarities around the threshold', () => {
    const { bands, rows } = bandsForThreshold(0.8, 128)
    expect(bands * rows).toBeLessThanOrEqual(128)
    expect(candidateProbability(0.9, bands, rows)).toBeGreaterThan(0.9)
    expect(candidateProbability(0.5, bands, rows)).toBeLessThan(0.05)
    expect(bandsForThreshold(0.5, 128).rows).toBeLessThan(rows)
    expect(bandsForThreshold(0.8, 128)).toEqual({ bands, rows })
  })

  it('makes one stable hash per band, shared by near-copies and not by unrelated texts', () => {
    const { bands, rows } = bandsForThreshold(0.8, 128, LSH_RECALL_WEIGHTS)
    expect({ bands, rows }).toEqual({ bands: 14, rows: 9 })
    const keys = Array.from(bandHashes(minhash(ENGLISH_ARTICLE), bands, rows))
    expect(keys).toHaveLength(bands)
    expect(Array.from(bandHashes(minhash(ENGLISH_ARTICLE), bands, rows))).toEqual(keys)
    const near = Array.from(bandHashes(minhash(changeWords(ENGLISH_ARTICLE, [100])), bands, rows))
    expect(near.filter((k, i) => k === keys[i]).length).toBeGreaterThan(0)
    const other = Array.from(bandHashes(minhash(CHINESE_ARTICLE), bands, rows))
    expect(other.filter((k, i) => k === keys[i])).toEqual([])
  })

  it('makes most pairs at or above 0.8 candidates under the recall layout', () => {
    const { bands, rows } = bandsForThreshold(0.8, 128, LSH_RECALL_WEIGHTS)
    let eligible = 0
    let found = 0
    for (let seed = 100; seed < 140; seed++) {
      const base = randomText(seed, 400)
      const copy = [...base]
      copy.splice(100, 12, ...randomText(seed + 5000, 12))
      copy.splice(300, 12, ...randomText(seed + 6000, 12))
      const [a, b] = [minhash(base.join(' ')), minhash(copy.join(' '))]
      if (estimateJaccard(a, b) < 0.8) continue
      eligible++
      const [ka, kb] = [bandHashes(a, bands, rows), bandHashes(b, bands, rows)]
      if (ka.some((k, i) => k === kb[i])) found++
    }
    expect(eligible).toBeGreaterThanOrEqual(10)
    expect(found / eligible).toBeGreaterThanOrEqual(0.8)
  })
})
