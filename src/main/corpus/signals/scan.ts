// One pass over a text: character-class counts and a CJK-aware token stream (words, and single Han/kana characters) as hashes.
import {
  DIGIT,
  HAN,
  HANGUL,
  HASH_SEED,
  LETTER,
  MARK,
  SPACE,
  charClass,
  fmix32,
  hashStep,
  isUnspacedClass,
  lowerUnit,
} from './chars'

/**
 * The tokens of a text. A token is either a word of a space-delimited script (a run of letters, digits and
 * marks, with inner apostrophes) or one Han/kana character. Punctuation and whitespace separate tokens.
 */
export interface TextScan {
  /** Code points in the text. */
  readonly codePoints: number
  /** Code points that are not whitespace. */
  readonly nonSpace: number
  /** ASCII letters a-z, A-Z. */
  readonly asciiLetters: number
  /** Other letters of space-delimited scripts (accented Latin, Cyrillic, Greek, Arabic, ...). */
  readonly otherLetters: number
  readonly han: number
  readonly kana: number
  readonly hangul: number
  /** Number of tokens; the arrays below are valid up to this index. */
  readonly count: number
  /** Hash of each lower-cased token (see hashToken). */
  readonly hash: Uint32Array
  /** Length of each token in code points. */
  readonly length: Uint32Array
  /** 1 where the token is a single Han/kana character, 0 for a word. */
  readonly unspaced: Uint8Array
  /** Tokens that are words (not Han/kana characters), and their total length in code points. */
  readonly spacedWords: number
  readonly spacedWordChars: number
  /** Whitespace-delimited chunks. */
  readonly chunks: number
  /** Chunks containing Han or kana. */
  readonly cjkChunks: number
  /** Other chunks containing at least one letter (Hangul included). */
  readonly alphaChunks: number
}

function isApostrophe(cp: number): boolean {
  return cp === 0x27 || cp === 0x2019
}

function scanUncached(text: string): TextScan {
  const n = text.length
  const hash = new Uint32Array(n)
  const length = new Uint32Array(n)
  const unspaced = new Uint8Array(n)
  let count = 0
  let codePoints = 0
  let nonSpace = 0
  let asciiLetters = 0
  let otherLetters = 0
  let han = 0
  let kana = 0
  let hangul = 0
  let spacedWords = 0
  let spacedWordChars = 0
  let chunks = 0
  let cjkChunks = 0
  let alphaChunks = 0
  let inChunk = false
  let chunkHasLetter = false
  let chunkHasCjk = false
  let wordHash = HASH_SEED
  let wordLength = 0

  // One loop without helper closures: a closure would move these variables from registers to the heap.
  for (let i = 0; i < n; i++) {
    const unit = text.charCodeAt(i)
    let cp = unit
    if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < n) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low < 0xe000) cp = ((unit - 0xd800) << 10) + (low - 0xdc00) + 0x10000
    }
    const cls = charClass(cp)
    codePoints++
    const wordChar = cls === LETTER || cls === DIGIT || cls === MARK || cls === HANGUL
    const innerApostrophe =
      wordLength > 0 && isApostrophe(cp) && i + 1 < n && charClass(text.charCodeAt(i + 1)) === LETTER
    if (wordLength > 0 && !wordChar && !innerApostrophe) {
      hash[count] = fmix32(wordHash)
      length[count++] = wordLength
      spacedWords++
      spacedWordChars += wordLength
      wordHash = HASH_SEED
      wordLength = 0
    }
    if (cls === SPACE) {
      if (inChunk) {
        chunks++
        if (chunkHasCjk) cjkChunks++
        else if (chunkHasLetter) alphaChunks++
        inChunk = false
      }
      continue
    }
    nonSpace++
    if (!inChunk) {
      inChunk = true
      chunkHasLetter = false
      chunkHasCjk = false
    }
    if (cls === LETTER) {
      if (cp < 0x80) asciiLetters++
      else otherLetters++
      chunkHasLetter = true
    } else if (cls === HANGUL) {
      hangul++
      chunkHasLetter = true
    } else if (isUnspacedClass(cls)) {
      if (cls === HAN) han++
      else kana++
      chunkHasCjk = true
      let h = hashStep(HASH_SEED, unit)
      if (cp > 0xffff) h = hashStep(h, text.charCodeAt(i + 1))
      hash[count] = fmix32(h)
      length[count] = 1
      unspaced[count++] = 1
    }
    if (wordChar) {
      wordHash = hashStep(wordHash, lowerUnit(unit))
      if (cp > 0xffff) wordHash = hashStep(wordHash, text.charCodeAt(i + 1))
      wordLength++
    } else if (innerApostrophe) {
      wordHash = hashStep(wordHash, 0x27)
      wordLength++
    }
    if (cp > 0xffff) i++
  }
  if (wordLength > 0) {
    hash[count] = fmix32(wordHash)
    length[count++] = wordLength
    spacedWords++
    spacedWordChars += wordLength
  }
  if (inChunk) {
    chunks++
    if (chunkHasCjk) cjkChunks++
    else if (chunkHasLetter) alphaChunks++
  }
  return {
    codePoints, nonSpace, asciiLetters, otherLetters, han, kana, hangul, count, hash, length, unspaced,
    spacedWords, spacedWordChars, chunks, cjkChunks, alphaChunks,
  }
}

let lastText: string | undefined
let lastScan: TextScan | undefined

/**
 * Scan a text. The last result is remembered, so the signals of one document (language, stats, quality,
 * MinHash), computed one after the other, share a single pass. Callers must not modify the arrays.
 */
export function scanText(text: string): TextScan {
  if (lastScan !== undefined && text === lastText) return lastScan
  const result = scanUncached(text)
  lastText = text
  lastScan = result
  return result
}

