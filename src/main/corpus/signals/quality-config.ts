// Thresholds of the Gopher / C4 / FineWeb quality heuristics, with their defaults, for the app to show as settings.

/** A limit on an n-gram measure: the fraction of characters may not exceed `maxFraction`. */
export interface NGramLimit {
  /** Length of the n-gram in tokens (words; characters for Chinese and Japanese). */
  readonly n: number
  /** Largest allowed fraction of the document's characters (0..1). */
  readonly maxFraction: number
}

export interface QualityConfig {
  /** Gopher `gopher_word_count`: fewest words (Han/kana: characters / 1.6, see text-stats). Default 50. */
  minWords: number
  /** Gopher `gopher_word_count`: most words. Default 100,000. */
  maxWords: number
  /** Gopher `gopher_mean_word_length`: shortest mean word length in characters; not applied to CJK. Default 3. */
  minMeanWordLength: number
  /** Gopher `gopher_mean_word_length`: longest mean word length in characters; not applied to CJK. Default 10. */
  maxMeanWordLength: number
  /** Gopher `gopher_hash_ratio`: most `#` per word. Default 0.1. */
  maxHashRatio: number
  /** Gopher `gopher_ellipsis_ratio`: most `...` or `…` per word. Default 0.1. */
  maxEllipsisRatio: number
  /** Gopher `gopher_ellipsis_lines`: largest fraction of lines ending with `...` or `…`. Default 0.3. */
  maxEllipsisLineFraction: number
  /** Gopher `gopher_bullet_lines`: largest fraction of lines starting with a bullet (•, -, *, ...). Default 0.9. */
  maxBulletLineFraction: number
  /** Gopher `gopher_dup_lines`: largest fraction of lines that repeat an earlier line. Default 0.3. */
  maxDuplicateLineFraction: number
  /** Gopher `gopher_dup_line_chars`: largest fraction of characters in repeated lines. Default 0.2. */
  maxDuplicateLineCharFraction: number
  /** Gopher `gopher_dup_paragraphs`: largest fraction of paragraphs that repeat an earlier one. Default 0.3. */
  maxDuplicateParagraphFraction: number
  /** Gopher `gopher_dup_paragraph_chars`: largest fraction of characters in repeated paragraphs. Default 0.2. */
  maxDuplicateParagraphCharFraction: number
  /** Gopher `gopher_top_{n}gram`: the most frequent n-gram may cover at most this fraction of characters. */
  topNGrams: readonly NGramLimit[]
  /** Gopher `gopher_dup_{n}gram`: repeated n-grams may cover at most this fraction of characters. */
  duplicateNGrams: readonly NGramLimit[]
  /** Gopher `gopher_stop_words`: fewest stop words (English or Chinese list by language; other languages skip). */
  minStopWords: number
  /** Stop words for English documents (Gopher's list). */
  englishStopWords: readonly string[]
  /** Stop words for Chinese documents: single characters, counted wherever they occur. */
  chineseStopWords: readonly string[]
  /**
   * Gopher `gopher_alpha_words`: smallest fraction of whitespace-separated words holding a letter. A chunk of
   * Han/kana counts as the words it holds (characters / 1.6), not as one word. Default 0.8.
   */
  minAlphaWordFraction: number
  /** C4 `c4_lorem_ipsum`: fail documents containing "lorem ipsum". Default true. */
  loremIpsum: boolean
  /** C4 `c4_javascript`: largest fraction of lines that are "enable JavaScript" boilerplate. Default 0.1. */
  maxJavascriptLineFraction: number
  /** C4 `c4_policy`: largest fraction of lines with cookie/privacy-policy boilerplate. Default 0.1. */
  maxPolicyLineFraction: number
  /** C4 `c4_curly_bracket`: fail documents containing `{`. Off by default: it rejects code and formulas. */
  curlyBracket: boolean
  /** FineWeb `fineweb_line_punct`: smallest fraction of lines ending in terminal punctuation (. ! ? 。！？ ...). */
  minTerminalPunctuationLineFraction: number
  /** FineWeb `fineweb_short_lines`: largest fraction of short lines. Default 0.67. */
  maxShortLineFraction: number
  /** FineWeb: a line of a space-delimited script is short below this many characters. Default 30. */
  shortLineChars: number
  /** FineWeb: a line of a CJK document is short below this many characters. Default 10. */
  shortLineCharsCjk: number
  /** FineWeb `fineweb_dup_line_chars`: largest fraction of characters (newlines excluded) in repeated lines. */
  maxDuplicateLineCharFractionFineWeb: number
  /** FineWeb `fineweb_newline_ratio`: most newlines per word. Default 0.3. */
  maxNewlinesPerWord: number
}

function limits(...pairs: [number, number][]): readonly NGramLimit[] {
  return Object.freeze(pairs.map(([n, maxFraction]) => Object.freeze({ n, maxFraction })))
}

/** The published defaults (datatrove's GopherQuality, GopherRepetition, C4Quality and FineWebQuality filters). */
export const DEFAULT_QUALITY_CONFIG: Readonly<QualityConfig> = Object.freeze({
  minWords: 50,
  maxWords: 100_000,
  minMeanWordLength: 3,
  maxMeanWordLength: 10,
  maxHashRatio: 0.1,
  maxEllipsisRatio: 0.1,
  maxEllipsisLineFraction: 0.3,
  maxBulletLineFraction: 0.9,
  maxDuplicateLineFraction: 0.3,
  maxDuplicateLineCharFraction: 0.2,
  maxDuplicateParagraphFraction: 0.3,
  maxDuplicateParagraphCharFraction: 0.2,
  topNGrams: limits([2, 0.2], [3, 0.18], [4, 0.16]),
  duplicateNGrams: limits([5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.1]),
  minStopWords: 2,
  englishStopWords: Object.freeze(['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with']),
  chineseStopWords: Object.freeze(['的', '了', '是', '在', '和', '有', '我', '不', '这', '也', '就', '都']),
  minAlphaWordFraction: 0.8,
  loremIpsum: true,
  maxJavascriptLineFraction: 0.1,
  maxPolicyLineFraction: 0.1,
  curlyBracket: false,
  minTerminalPunctuationLineFraction: 0.12,
  maxShortLineFraction: 0.67,
  shortLineChars: 30,
  shortLineCharsCjk: 10,
  maxDuplicateLineCharFractionFineWeb: 0.01,
  maxNewlinesPerWord: 0.3,
})
