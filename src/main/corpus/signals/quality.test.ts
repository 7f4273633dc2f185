// Tests of the quality heuristics: clean prose passes, typical junk fails with the expected rule ids, CJK is judged fairly.
import { describe, expect, it } from 'vitest'
import { assessQuality } from './quality'
import { DEFAULT_QUALITY_CONFIG } from './quality-config'
import { HAVE_DOLMA, HAVE_ZH_HELP, chineseHelpTexts, dolmaTexts } from './test-fixtures'
import { CHINESE_ARTICLE, ENGLISH_ARTICLE } from './test-texts'

/** Rules whose measure only makes sense for space-delimited text, or whose English form would reject Chinese. */
const ENGLISH_ONLY = ['gopher_word_count', 'gopher_mean_word_length', 'gopher_stop_words', 'gopher_alpha_words']

describe('assessQuality', () => {
  it('passes a clean English article and reports every rule', () => {
    const result = assessQuality(ENGLISH_ARTICLE)
    expect(result.failed).toEqual([])
    expect(result.pass).toBe(true)
    expect(Object.keys(result.values)).toEqual(
      expect.arrayContaining([
        'gopher_word_count', 'gopher_mean_word_length', 'gopher_hash_ratio', 'gopher_ellipsis_ratio',
        'gopher_ellipsis_lines', 'gopher_bullet_lines', 'gopher_dup_lines', 'gopher_dup_line_chars',
        'gopher_dup_paragraphs', 'gopher_dup_paragraph_chars', 'gopher_top_2gram', 'gopher_top_3gram',
        'gopher_top_4gram', 'gopher_dup_5gram', 'gopher_dup_10gram', 'gopher_stop_words', 'gopher_alpha_words',
        'c4_lorem_ipsum', 'c4_javascript', 'c4_policy', 'fineweb_line_punct', 'fineweb_short_lines',
        'fineweb_dup_line_chars', 'fineweb_newline_ratio',
      ]),
    )
    expect(result.values.gopher_stop_words).toBeGreaterThanOrEqual(10)
  })

  it('passes a clean Chinese article, judged with the Chinese stop words and without word-length bounds', () => {
    const result = assessQuality(CHINESE_ARTICLE)
    expect(result.failed).toEqual([])
    expect(result.values.gopher_stop_words).toBeGreaterThanOrEqual(10)
    expect(result.values).not.toHaveProperty('gopher_mean_word_length')
  })

  it('would fail the Chinese article if it were judged as English', () => {
    expect(assessQuality(CHINESE_ARTICLE, { lang: 'en' }).failed).toEqual(
      expect.arrayContaining(['gopher_mean_word_length', 'gopher_stop_words']),
    )
  })

  it('fails lorem ipsum', () => {
    const text = `${ENGLISH_ARTICLE}\nLorem ipsum dolor sit amet, consectetur adipiscing elit.`
    expect(assessQuality(text).failed).toContain('c4_lorem_ipsum')
  })

  it('fails a cookie banner', () => {
    const banner = [
      'We use cookies to improve your experience on our website.',
      'By continuing to browse, you agree to our Cookie Policy and Privacy Policy.',
      'You can accept cookies or change your settings at any time.',
      'Some of the cookies we use are essential for the site to work, and the others help us to understand how it is used.',
    ].join('\n')
    const result = assessQuality(`${banner}\n${ENGLISH_ARTICLE}`)
    expect(result.failed).toContain('c4_policy')
    expect(result.values.c4_policy).toBeGreaterThan(0.1)
  })

  it('fails "enable JavaScript" boilerplate but not an article about JavaScript', () => {
    const boilerplate = 'Please enable JavaScript in your browser to view this page.\nJavaScript is disabled.\n'
    expect(assessQuality(`${boilerplate}${ENGLISH_ARTICLE}`).failed).toContain('c4_javascript')
    const article = ENGLISH_ARTICLE.replaceAll('language model', 'JavaScript program')
    expect(assessQuality(article).failed).not.toContain('c4_javascript')
  })

  it('fails repeated lines', () => {
    const lines = ENGLISH_ARTICLE.split('\n')
    const text = [...lines, ...lines, ...lines].join('\n')
    expect(assessQuality(text).failed).toEqual(
      expect.arrayContaining(['gopher_dup_lines', 'gopher_dup_line_chars', 'gopher_dup_10gram', 'fineweb_dup_line_chars']),
    )
  })

  it('fails repeated paragraphs', () => {
    const text = [ENGLISH_ARTICLE, ENGLISH_ARTICLE, 'A closing remark that appears once.'].join('\n\n')
    expect(assessQuality(text).failed).toEqual(expect.arrayContaining(['gopher_dup_paragraphs', 'gopher_dup_paragraph_chars']))
  })

  it('fails a page of bullets', () => {
    const text = Array.from({ length: 30 }, (_, i) => `• Item number ${i} with a few more words in it`).join('\n')
    expect(assessQuality(text).failed).toContain('gopher_bullet_lines')
  })

  it('fails ellipsis-heavy text', () => {
    const text = Array.from(
      { length: 20 },
      (_, i) => `Story ${i}: the council met again today and the members argued about the new budget for the ...`,
    ).join('\n')
    expect(assessQuality(text).failed).toContain('gopher_ellipsis_lines')
  })

  it('fails hashtag spam', () => {
    const text = `${ENGLISH_ARTICLE}\n${'#ai #ml #data #tech #news '.repeat(10)}`
    expect(assessQuality(text).failed).toContain('gopher_hash_ratio')
  })

  it('fails one phrase repeated over and over', () => {
    const text = `${'buy cheap watches online '.repeat(60)}.`
    expect(assessQuality(text).failed).toEqual(expect.arrayContaining(['gopher_top_2gram', 'gopher_top_3gram', 'gopher_dup_5gram']))
  })

  it('fails text that is too short or mostly numbers', () => {
    expect(assessQuality('A short note.').failed).toContain('gopher_word_count')
    const numbers = `${Array.from({ length: 200 }, (_, i) => String(i * 37)).join(' ')} the and of numbers.`
    expect(assessQuality(numbers).failed).toContain('gopher_alpha_words')
  })

  it('applies the curly-bracket rule only when switched on', () => {
    const code = `${ENGLISH_ARTICLE}\nThe set {x | x > 0} is open.`
    expect(assessQuality(code).failed).toEqual([])
    expect(assessQuality(code, { config: { curlyBracket: true } }).failed).toEqual(['c4_curly_bracket'])
  })

  it('takes thresholds from the config', () => {
    expect(DEFAULT_QUALITY_CONFIG.minWords).toBe(50)
    expect(assessQuality(ENGLISH_ARTICLE, { config: { minWords: 1000 } }).failed).toEqual(['gopher_word_count'])
  })

  it('skips the stop-word rule for languages without a list', () => {
    const french = 'Le chat est assis sur le tapis et regarde les oiseaux dans le jardin pendant que nous préparons le dîner. '
    expect(assessQuality(french.repeat(3), { lang: 'fr' }).values).not.toHaveProperty('gopher_stop_words')
  })

  it.skipIf(!HAVE_DOLMA)('passes most Dolma web documents (needs shared data)', () => {
    const results = dolmaTexts().map((text) => assessQuality(text))
    expect(results.filter((result) => result.pass).length).toBeGreaterThanOrEqual(16)
  })

  it.skipIf(!HAVE_ZH_HELP)('does not fail Chinese help pages on English-only rules (needs shared data)', () => {
    for (const text of chineseHelpTexts()) {
      const result = assessQuality(text, { lang: 'zh' })
      expect(result.failed.filter((id) => ENGLISH_ONLY.includes(id))).toEqual([])
    }
  })
})
