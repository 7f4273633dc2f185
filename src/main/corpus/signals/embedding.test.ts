// Tests of the hashed n-gram embedding: unit length, deterministic, and near-copies closer than unrelated texts.
import { describe, expect, it } from 'vitest'
import { EMBEDDING_DIM, cosine, embed } from './embedding'
import { HAVE_DOLMA, dolmaTexts } from './test-fixtures'
import { CHINESE_ARTICLE, ENGLISH_ARTICLE, changeChars, changeWords } from './test-texts'

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0))

describe('embed', () => {
  it('gives a deterministic unit vector of the default dimension', () => {
    const v = embed(ENGLISH_ARTICLE)
    expect(v).toBeInstanceOf(Float32Array)
    expect(v.length).toBe(EMBEDDING_DIM)
    expect(EMBEDDING_DIM).toBe(256)
    expect(norm(v)).toBeCloseTo(1, 5)
    expect(embed(ENGLISH_ARTICLE)).toEqual(v)
    expect(embed(ENGLISH_ARTICLE, 64).length).toBe(64)
  })

  it('gives the zero vector for text without words', () => {
    expect(norm(embed(''))).toBe(0)
    expect(norm(embed(' \n\t '))).toBe(0)
  })

  it('puts a near-copy closer than an unrelated document', () => {
    const v = embed(ENGLISH_ARTICLE)
    const near = cosine(v, embed(changeWords(ENGLISH_ARTICLE, [5, 60, 130])))
    expect(near).toBeGreaterThan(0.95)
    expect(near).toBeGreaterThan(cosine(v, embed('Quarterly revenue rose as the retailer opened new stores and cut costs.')))
    expect(cosine(v, embed(ENGLISH_ARTICLE.toUpperCase()))).toBeCloseTo(1, 5)
  })

  it('handles Chinese with character unigrams and bigrams', () => {
    const v = embed(CHINESE_ARTICLE)
    const near = cosine(v, embed(changeChars(CHINESE_ARTICLE, [20, 150])))
    const unrelated = cosine(v, embed('今天天气很好，我们一起去公园散步吧。公园里的花都开了，孩子们在草地上玩耍。'))
    expect(near).toBeGreaterThan(0.95)
    expect(near).toBeGreaterThan(unrelated)
    expect(Math.abs(cosine(v, embed(ENGLISH_ARTICLE)))).toBeLessThan(0.3)
  })

  it.skipIf(!HAVE_DOLMA)('ranks the near-copy of each web document first (needs shared data)', () => {
    const texts = dolmaTexts()
    const vectors = texts.map((text) => embed(text))
    texts.forEach((text, i) => {
      const query = embed(changeWords(text, [3, 20]))
      const ranked = vectors.map((v, j) => [cosine(query, v), j] as const).sort((a, b) => b[0] - a[0])
      expect(ranked[0]?.[1]).toBe(i)
    })
  })
})
