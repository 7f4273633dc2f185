// Language identification: script first (Han, kana, Hangul), an English function-word test, then tinyld on a sample.
import { detectAll } from 'tinyld'
import { scanText, type TextScan } from './scan'
import { countTokensIn, tokenSet } from './token-set'

export interface LanguageGuess {
  /** ISO 639-1 code ('en', 'zh', 'ja', 'fr', ...), or 'und' when the text has no letters or cannot be told. */
  lang: string
  /** 0..1: the share of the text in the winning script times the certainty within that script. */
  confidence: number
}

/**
 * tinyld sees at most this many characters from the start of the text: its cost grows with the sample
 * (about 4 microseconds a character, 8 ms for 2000) and 500 characters already name the language.
 */
export const LANGUAGE_SAMPLE_CHARS = 500

/**
 * Weight of one Han, kana or Hangul character against one letter of a space-delimited script when deciding
 * which script is the majority: 3, as in UTF-8 bytes; about one Chinese word per English word.
 */
const CJK_WEIGHT = 3
/**
 * Chinese or Japanese documentation is full of Latin code, formulas and names, yet its prose is CJK:
 * at least this many Han/kana characters, and at least one per MIXED_LATIN_PER_CJK Latin letters,
 * make a document CJK whatever the letter count. (The LibreOffice help pages run 0.15-0.33 Han per
 * Latin letter; an English page quoting Chinese names stays far below 0.1.)
 */
const MIXED_MIN_CJK = 100
const MIXED_LATIN_PER_CJK = 10
/** Kana as a share of Han+kana above which CJK text is Japanese (Chinese text has none). */
const KANA_SHARE_JA = 0.1

/** English function words that are rare as words in other Latin-script languages. */
const EN_MARKERS = tokenSet(
  ('the and that with this which are were been have has had it you they their from not but would can there ' +
    'what when who if all more about into than its our your his them these those').split(' '),
)
/** Common English words, to recognise short strings (titles, UI labels) where tinyld guesses. */
const EN_COMMON = tokenSet(
  ('a an the of to in on at by for from with and or but not no yes is are was be it its this that these those ' +
    'i you he she we they my your our his her me us do does how what why who where when which here there now ' +
    'all more most some any new good see also read click sign open close file page home hello world thank ' +
    'thanks please help search menu log login next previous back table contents chapter section introduction ' +
    'guide about contact privacy policy terms copyright rights reserved data quick brown fox over lazy dog ' +
    'morning day time year people way make like just know use get one two first last very much many well').split(' '),
)
/** English markers among the words at or above which a Latin-script text is English without asking tinyld. */
const EN_MARKER_RATIO = 0.06
const EN_MARKER_MIN_HITS = 3
/** Marker ratio of ordinary English prose (0.15..0.28 in 19 of the 20 Dolma samples): full confidence from here. */
const EN_MARKER_TYPICAL = 0.15
/** Texts with fewer words are short strings: judged by the common-word list, then tinyld. */
const SHORT_WORDS = 8
/** tinyld's score for English is multiplied by this before comparing (the corpora are Chinese/English). */
const EN_PRIOR = 4
/** Confidence for short ASCII text that tinyld cannot place and the app therefore takes as English. */
const EN_FALLBACK_CONFIDENCE = 0.25

function sampleOf(text: string, hasCjk: boolean): string {
  const sample = text.length > LANGUAGE_SAMPLE_CHARS ? text.slice(0, LANGUAGE_SAMPLE_CHARS) : text
  return hasCjk ? sample.replace(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu, ' ') : sample
}

function detectSpaced(text: string, scan: TextScan, share: number): LanguageGuess {
  const letters = scan.asciiLetters + scan.otherLetters
  const ascii = scan.otherLetters <= letters * 0.02
  const words = scan.spacedWords
  if (ascii && words >= SHORT_WORDS) {
    const hits = countTokensIn(scan, EN_MARKERS, 0)
    const ratio = hits / words
    if (hits >= EN_MARKER_MIN_HITS && ratio >= EN_MARKER_RATIO) {
      return { lang: 'en', confidence: share * Math.min(1, ratio / EN_MARKER_TYPICAL) }
    }
  }
  if (ascii && words < SHORT_WORDS && countTokensIn(scan, EN_COMMON, 0) * 2 >= words) {
    return { lang: 'en', confidence: share * 0.9 }
  }
  const candidates = detectAll(sampleOf(text, scan.han + scan.kana + scan.hangul > 0))
  let best = ''
  let bestScore = 0
  let total = 0
  for (const { lang, accuracy } of candidates) {
    total += accuracy
    const score = lang === 'en' ? accuracy * EN_PRIOR : accuracy
    if (score > bestScore) {
      best = lang
      bestScore = score
    }
  }
  if (best === '') {
    return ascii ? { lang: 'en', confidence: share * EN_FALLBACK_CONFIDENCE } : { lang: 'und', confidence: 0 }
  }
  const accuracy = best === 'en' ? bestScore / EN_PRIOR : bestScore
  return { lang: best, confidence: share * Math.min(1, accuracy / total) }
}

/** Guess the language of a document; mixed documents get the language of the script in the majority. */
export function detectLanguage(text: string): LanguageGuess {
  const scan = scanText(text)
  const spaced = scan.asciiLetters + scan.otherLetters
  const hanKana = (scan.han + scan.kana) * CJK_WEIGHT
  const hangul = scan.hangul * CJK_WEIGHT
  const total = spaced + hanKana + hangul
  if (total === 0) return { lang: 'und', confidence: 0 }
  const cjkProse = scan.han + scan.kana >= MIXED_MIN_CJK && (scan.han + scan.kana) * MIXED_LATIN_PER_CJK >= spaced
  if ((hanKana >= spaced || cjkProse) && hanKana >= hangul) {
    const lang = scan.kana > (scan.han + scan.kana) * KANA_SHARE_JA ? 'ja' : 'zh'
    return { lang, confidence: hanKana / total }
  }
  if (hangul > spaced) return { lang: 'ko', confidence: hangul / total }
  return detectSpaced(text, scan, spaced / total)
}
