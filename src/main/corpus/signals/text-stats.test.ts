// Tests of the text statistics: counts on hand-made strings, and the CJK word estimate against Intl.Segmenter.
import { describe, expect, it } from 'vitest'
import { HAVE_DOLMA, HAVE_ZH_HELP, chineseHelpTexts, dolmaTexts } from './test-fixtures'
import { CHINESE_ARTICLE } from './test-texts'
import { textStats } from './text-stats'

function segmenterWords(text: string, locale: string): number {
  let words = 0
  for (const segment of new Intl.Segmenter(locale, { granularity: 'word' }).segment(text)) if (segment.isWordLike) words++
  return words
}

describe('textStats', () => {
  it('counts an English sentence', () => {
    const stats = textStats('The quick brown fox jumps over the lazy dog.')
    expect(stats).toEqual({ chars: 44, words: 9, lines: 1, meanWordLength: 35 / 9, cjkRatio: 0 })
  })

  it('keeps contractions whole and splits on punctuation', () => {
    expect(textStats("don't stop—believing, ok?").words).toBe(4)
    expect(textStats('state-of-the-art').words).toBe(4)
  })

  it('counts code points, not UTF-16 units', () => {
    expect(textStats('𠀀𠀁 ok').chars).toBe(5)
  })

  it('counts lines that hold text', () => {
    expect(textStats('one\n\n  \ntwo \r\nthree\n').lines).toBe(3)
    expect(textStats('').lines).toBe(0)
  })

  it('measures the CJK share and estimates Chinese words', () => {
    const stats = textStats('你好，世界')
    expect(stats.chars).toBe(5)
    expect(stats.cjkRatio).toBeCloseTo(4 / 5)
    expect(stats.words).toBeGreaterThanOrEqual(2)
    expect(stats.words).toBeLessThanOrEqual(4)
    expect(textStats('한국어 문장입니다').cjkRatio).toBe(1)
  })

  it('gives zeros for empty text', () => {
    expect(textStats('')).toEqual({ chars: 0, words: 0, lines: 0, meanWordLength: 0, cjkRatio: 0 })
  })

  it('estimates Chinese word counts within 15% of Intl.Segmenter', () => {
    const estimate = textStats(CHINESE_ARTICLE).words
    const reference = segmenterWords(CHINESE_ARTICLE, 'zh')
    expect(Math.abs(estimate - reference) / reference).toBeLessThan(0.15)
  })

  it.skipIf(!HAVE_ZH_HELP)('estimates word counts of real Chinese pages within 15% of Intl.Segmenter (needs shared data)', () => {
    let estimate = 0
    let reference = 0
    for (const text of chineseHelpTexts()) {
      estimate += textStats(text).words
      reference += segmenterWords(text, 'zh')
    }
    expect(Math.abs(estimate - reference) / reference).toBeLessThan(0.15)
  })

  it.skipIf(!HAVE_DOLMA)('counts English words like Intl.Segmenter on real web text (needs shared data)', () => {
    // Intl.Segmenter is slow (about 1 ms per KB): the documents under 12,000 characters are enough.
    for (const text of dolmaTexts().filter((t) => t.length < 12_000)) {
      const stats = textStats(text)
      const reference = segmenterWords(text, 'en')
      expect(Math.abs(stats.words - reference) / reference).toBeLessThan(0.05)
      expect(stats.cjkRatio).toBe(0)
      expect(stats.meanWordLength).toBeGreaterThan(3.5)
      expect(stats.meanWordLength).toBeLessThan(6)
    }
  })
})
