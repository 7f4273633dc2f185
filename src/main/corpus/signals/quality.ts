// Document quality heuristics (Gopher, C4, FineWeb), CJK-aware, each rule with a stable id and its measured value.
import { detectLanguage } from './language'
import { DEFAULT_QUALITY_CONFIG, type QualityConfig } from './quality-config'
import { duplicates, nGramRepetition } from './repetition'
import { scanText } from './scan'
import { countTokensIn, tokenSet } from './token-set'
import { CJK_CHARS_PER_WORD, textStats } from './text-stats'

export interface QualityResult {
  /** True when no rule failed. */
  pass: boolean
  /** Ids of the failed rules, in evaluation order. */
  failed: string[]
  /** The measured value of every rule that was applied, by rule id (0/1 for yes/no rules). Skipped rules are absent. */
  values: Record<string, number>
}

export interface QualityOptions {
  /** ISO 639-1 language of the text (from detectLanguage); detected when absent. */
  lang?: string
  /** Thresholds overriding DEFAULT_QUALITY_CONFIG. */
  config?: Partial<QualityConfig>
}

/** Languages written in CJK scripts: mean word length is skipped and short lines are measured in fewer characters. */
const CJK_LANGS = new Set(['zh', 'ja', 'ko'])
const BULLETS = new Set(['•', '‣', '◦', '●', '○', '▪', '■', '□', '·', '-', '*', '–', '—'])
const TERMINAL = new Set(['.', '!', '?', '。', '！', '？', '．', '｡', '…', '؟', '।'])
/** Closing quotes and brackets that may follow a sentence's final punctuation. */
const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '}', '»', '」', '』', '》', '）'])
const JAVASCRIPT = /(enable|disable|turn on|activate|requires?|support)\w*\b.{0,40}javascript|javascript.{0,40}\b(is )?(disabled|enabled|required|turned off|is off)/i
const POLICY = /cookie policy|use cookies|uses cookies|use of cookies|accept (all )?cookies|privacy policy|terms of use/i
/** Whole-text prefilters: most documents skip the per-line boilerplate tests. */
const MAY_JAVASCRIPT = [/javascript/i]
const MAY_POLICY = [/cookie/i, /privacy policy/i, /terms of use/i]

interface LineFacts {
  lines: string[]
  bullets: number
  ellipsis: number
  terminal: number
  short: number
  javascript: number
  policy: number
}

function lineFacts(text: string, shortChars: number): LineFacts {
  const lines: string[] = []
  const javascript = MAY_JAVASCRIPT.some((re) => re.test(text))
  const policy = MAY_POLICY.some((re) => re.test(text))
  const facts = { lines, bullets: 0, ellipsis: 0, terminal: 0, short: 0, javascript: 0, policy: 0 }
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    lines.push(line)
    if (BULLETS.has(line[0] as string)) facts.bullets++
    if (line.endsWith('...') || line.endsWith('…')) facts.ellipsis++
    let end = line.length - 1
    while (end > 0 && CLOSERS.has(line[end] as string)) end--
    if (TERMINAL.has(line[end] as string)) facts.terminal++
    if (line.length < shortChars) facts.short++
    if (javascript && JAVASCRIPT.test(line)) facts.javascript++
    if (policy && POLICY.test(line)) facts.policy++
  }
  return facts
}

function countOccurrences(text: string, needle: string): number {
  let count = 0
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++
  return count
}

/** Apply the quality rules to a document. */
export function assessQuality(text: string, options: QualityOptions = {}): QualityResult {
  const config: QualityConfig = { ...DEFAULT_QUALITY_CONFIG, ...options.config }
  const lang = options.lang ?? detectLanguage(text).lang
  const cjk = CJK_LANGS.has(lang)
  const scan = scanText(text)
  const stats = textStats(text)
  const words = stats.words
  const perWord = (n: number): number => n / Math.max(1, words)
  const facts = lineFacts(text, cjk ? config.shortLineCharsCjk : config.shortLineChars)
  const lineCount = Math.max(1, facts.lines.length)
  const textChars = Math.max(1, text.length)
  const newlines = countOccurrences(text, '\n')

  const failed: string[] = []
  const values: Record<string, number> = {}
  const rule = (id: string, value: number, ok: boolean): void => {
    values[id] = value
    if (!ok) failed.push(id)
  }

  rule('gopher_word_count', words, words >= config.minWords && words <= config.maxWords)
  if (!cjk) {
    const mean = stats.meanWordLength
    rule('gopher_mean_word_length', mean, mean >= config.minMeanWordLength && mean <= config.maxMeanWordLength)
  }
  const hashes = perWord(countOccurrences(text, '#'))
  rule('gopher_hash_ratio', hashes, hashes <= config.maxHashRatio)
  const ellipses = perWord(countOccurrences(text, '...') + countOccurrences(text, '…'))
  rule('gopher_ellipsis_ratio', ellipses, ellipses <= config.maxEllipsisRatio)
  const ellipsisLines = facts.ellipsis / lineCount
  rule('gopher_ellipsis_lines', ellipsisLines, ellipsisLines <= config.maxEllipsisLineFraction)
  const bulletLines = facts.bullets / lineCount
  rule('gopher_bullet_lines', bulletLines, bulletLines <= config.maxBulletLineFraction)

  const dupLines = duplicates(facts.lines)
  const dupLineFraction = dupLines.count / lineCount
  rule('gopher_dup_lines', dupLineFraction, dupLineFraction <= config.maxDuplicateLineFraction)
  const dupLineChars = dupLines.chars / textChars
  rule('gopher_dup_line_chars', dupLineChars, dupLineChars <= config.maxDuplicateLineCharFraction)
  const paragraphs = text.split(/\n[ \t\r\f\v]*\n/).map((p) => p.trim()).filter((p) => p !== '')
  const dupParagraphs = duplicates(paragraphs)
  const dupParagraphFraction = dupParagraphs.count / Math.max(1, paragraphs.length)
  rule('gopher_dup_paragraphs', dupParagraphFraction, dupParagraphFraction <= config.maxDuplicateParagraphFraction)
  const dupParagraphChars = dupParagraphs.chars / textChars
  rule('gopher_dup_paragraph_chars', dupParagraphChars, dupParagraphChars <= config.maxDuplicateParagraphCharFraction)

  const ngrams = nGramRepetition(
    scan,
    config.topNGrams.map((l) => l.n),
    config.duplicateNGrams.map((l) => l.n),
    Math.max(1, scan.codePoints),
  )
  for (const { n, maxFraction } of config.topNGrams) {
    const value = ngrams.top.get(n) ?? 0
    rule(`gopher_top_${n}gram`, value, value <= maxFraction)
  }
  for (const { n, maxFraction } of config.duplicateNGrams) {
    const value = ngrams.dup.get(n) ?? 0
    rule(`gopher_dup_${n}gram`, value, value <= maxFraction)
  }

  const stopList = lang === 'en' ? config.englishStopWords : lang === 'zh' ? config.chineseStopWords : undefined
  if (stopList !== undefined) {
    const stops = countTokensIn(scan, tokenSet(stopList), lang === 'zh' ? 1 : 0)
    rule('gopher_stop_words', stops, stops >= config.minStopWords)
  }
  // Whitespace chunks with a letter among all chunks; a chunk of Han/kana counts as the words it holds.
  const cjkWords = Math.max(scan.cjkChunks, Math.round((scan.han + scan.kana) / CJK_CHARS_PER_WORD))
  const nonAlpha = scan.chunks - scan.cjkChunks - scan.alphaChunks
  const alpha = scan.chunks === 0 ? 0 : (scan.alphaChunks + cjkWords) / (scan.alphaChunks + cjkWords + nonAlpha)
  rule('gopher_alpha_words', alpha, alpha >= config.minAlphaWordFraction)

  if (config.loremIpsum) {
    const lorem = /lorem ipsum/i.test(text) ? 1 : 0
    rule('c4_lorem_ipsum', lorem, lorem === 0)
  }
  const javascriptLines = facts.javascript / lineCount
  rule('c4_javascript', javascriptLines, javascriptLines <= config.maxJavascriptLineFraction)
  const policyLines = facts.policy / lineCount
  rule('c4_policy', policyLines, policyLines <= config.maxPolicyLineFraction)
  if (config.curlyBracket) {
    const curly = text.includes('{') ? 1 : 0
    rule('c4_curly_bracket', curly, curly === 0)
  }

  const punct = facts.terminal / lineCount
  rule('fineweb_line_punct', punct, punct >= config.minTerminalPunctuationLineFraction)
  const short = facts.short / lineCount
  rule('fineweb_short_lines', short, short <= config.maxShortLineFraction)
  const fwDupChars = dupLines.chars / Math.max(1, text.length - newlines)
  rule('fineweb_dup_line_chars', fwDupChars, fwDupChars <= config.maxDuplicateLineCharFractionFineWeb)
  const newlineRatio = perWord(newlines)
  rule('fineweb_newline_ratio', newlineRatio, newlineRatio <= config.maxNewlinesPerWord)

  return { pass: failed.length === 0, failed, values }
}
