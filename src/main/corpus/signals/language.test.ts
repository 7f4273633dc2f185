// Tests of language identification on short strings, prose in several languages, mixed and real documents.
import { describe, expect, it } from 'vitest'
import { detectLanguage } from './language'
import { HAVE_DOLMA, HAVE_ZH_HELP, chineseHelpTexts, dolmaTexts } from './test-fixtures'
import { CHINESE_ARTICLE, ENGLISH_ARTICLE } from './test-texts'

describe('detectLanguage', () => {
  it.each([
    ['Hello world', 'en'],
    ['你好，世界', 'zh'],
    ['今日はいい天気ですね。散歩に行きましょう。', 'ja'],
    ['안녕하세요, 세계 여러분. 오늘 날씨가 좋네요.', 'ko'],
    ["Le chat est assis sur le tapis et regarde les oiseaux dans le jardin pendant que nous préparons le dîner.", 'fr'],
    ['Die Katze sitzt auf der Matte und beobachtet die Vögel im Garten, während wir das Abendessen vorbereiten.', 'de'],
    ['El gato está sentado en la alfombra y mira los pájaros en el jardín mientras preparamos la cena.', 'es'],
    ['Кошка сидит на ковре и смотрит на птиц в саду, пока мы готовим ужин.', 'ru'],
  ])('%s -> %s', (text, lang) => {
    expect(detectLanguage(text).lang).toBe(lang)
  })

  it.each(['Table of contents', 'See also', 'The quick brown fox', 'Sign in', 'Frequently asked questions', 'Download the latest version'])(
    'takes the short English string %j as English',
    (text) => {
      expect(detectLanguage(text).lang).toBe('en')
    },
  )

  it('is confident on English and Chinese prose', () => {
    expect(detectLanguage(ENGLISH_ARTICLE)).toEqual({ lang: 'en', confidence: 1 })
    expect(detectLanguage(CHINESE_ARTICLE).lang).toBe('zh')
    expect(detectLanguage(CHINESE_ARTICLE).confidence).toBeGreaterThan(0.95)
  })

  it('answers und for text without letters', () => {
    for (const text of ['', '   ', '12345 67.89', '!!! ??? ---', '😀🎉']) expect(detectLanguage(text)).toEqual({ lang: 'und', confidence: 0 })
  })

  it('takes the majority of a mixed document, with lower confidence', () => {
    const mostlyChinese = detectLanguage(`${CHINESE_ARTICLE}\nSee the appendix for the English version.`)
    expect(mostlyChinese.lang).toBe('zh')
    expect(mostlyChinese.confidence).toBeLessThan(1)
    const mostlyEnglish = detectLanguage(`${ENGLISH_ARTICLE}\n中文版见附录。`)
    expect(mostlyEnglish.lang).toBe('en')
    expect(mostlyEnglish.confidence).toBeLessThan(1)
  })

  it('reads only a bounded sample for tinyld but the whole text for the script', () => {
    const french = 'Le chat est assis sur le tapis et regarde les oiseaux dans le jardin. '.repeat(200)
    expect(detectLanguage(french).lang).toBe('fr')
    expect(detectLanguage(`${french}${'中文内容'.repeat(3000)}`).lang).toBe('zh')
  })

  it.skipIf(!HAVE_DOLMA)('finds English in every Dolma web document (needs shared data)', () => {
    const guesses = dolmaTexts().map(detectLanguage)
    for (const guess of guesses) {
      expect(guess.lang).toBe('en')
      expect(guess.confidence).toBeGreaterThan(0.3)
    }
    expect(guesses.filter((guess) => guess.confidence > 0.9).length).toBeGreaterThanOrEqual(18)
  })

  it.skipIf(!HAVE_ZH_HELP)('finds Chinese in the Chinese help pages, English where untranslated English prevails (needs shared data)', () => {
    const langs = chineseHelpTexts().map((text) => detectLanguage(text).lang)
    expect(langs.every((lang) => lang === 'zh' || lang === 'en')).toBe(true)
    expect(langs.filter((lang) => lang === 'zh').length / langs.length).toBeGreaterThan(0.75)
  })
})
