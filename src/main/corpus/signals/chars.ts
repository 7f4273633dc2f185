// Character classes (script-aware, cached per code point) and the 32-bit hashing primitives the signals share.

/** Whitespace, including U+3000 ideographic space and NBSP. */
export const SPACE = 1
/** A letter of a space-delimited script (Latin, Cyrillic, Greek, Arabic, ...). */
export const LETTER = 2
/** A numeric character of any script. */
export const DIGIT = 3
/** A combining mark: belongs to the word it follows. */
export const MARK = 4
/** A Han ideograph (Chinese characters, Japanese kanji, Korean hanja). */
export const HAN = 5
/** Hiragana or katakana (including the prolonged sound mark). */
export const KANA = 6
/** A Hangul syllable or jamo: a letter, but Korean is written with spaces between words. */
export const HANGUL = 7
/** Punctuation, symbols, controls. */
export const OTHER = 8

const RE_SPACE = /\s/
const RE_HAN = /\p{Script=Han}/u
const RE_KANA = /[\p{Script=Hiragana}\p{Script=Katakana}\u30fc]/u
const RE_HANGUL = /\p{Script=Hangul}/u
const RE_LETTER = /\p{L}/u
const RE_DIGIT = /\p{N}/u
const RE_MARK = /\p{M}/u

function classify(cp: number): number {
  const ch = String.fromCodePoint(cp)
  if (RE_SPACE.test(ch)) return SPACE
  if (RE_HAN.test(ch)) return HAN
  if (RE_KANA.test(ch)) return KANA
  if (RE_LETTER.test(ch)) return RE_HANGUL.test(ch) ? HANGUL : LETTER
  if (RE_DIGIT.test(ch)) return DIGIT
  if (RE_MARK.test(ch)) return MARK
  return OTHER
}

/** Class of every BMP code point, filled on first sight (0 = not yet known). */
const bmpClass = new Uint8Array(0x10000)
const astralClass = new Map<number, number>()

/** The class (SPACE ... OTHER) of a code point. */
export function charClass(cp: number): number {
  if (cp < 0x10000) {
    const known = bmpClass[cp] as number
    if (known !== 0) return known
    const cls = classify(cp)
    bmpClass[cp] = cls
    return cls
  }
  let cls = astralClass.get(cp)
  if (cls === undefined) {
    cls = classify(cp)
    astralClass.set(cp, cls)
  }
  return cls
}

/** True for scripts written without spaces between words, shingled and n-grammed per character. */
export function isUnspacedClass(cls: number): boolean {
  return cls === HAN || cls === KANA
}

/** Lower-case of every BMP code unit (first unit of the lower-case form), filled on first sight (0 = unknown). */
const bmpLower = new Uint16Array(0x10000)

/** Lower-case a BMP code unit (A-Z fast path; others through String#toLowerCase, cached); astral code points unchanged. */
export function lowerUnit(c: number): number {
  if (c < 0x80) return c >= 65 && c <= 90 ? c + 32 : c
  if (c > 0xffff) return c
  let l = bmpLower[c] as number
  if (l === 0) {
    l = String.fromCharCode(c).toLowerCase().charCodeAt(0)
    bmpLower[c] = l
  }
  return l
}

/** FNV-1a offset basis: the start value of a running hash. */
export const HASH_SEED = 0x811c9dc5

/** One FNV-1a step over a code unit. */
export function hashStep(h: number, unit: number): number {
  return Math.imul(h ^ unit, 0x01000193)
}

/** MurmurHash3's 32-bit finaliser: full avalanche, a bijection on 32 bits. Returns an unsigned value. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Combine two 32-bit hashes order-dependently (boost::hash_combine-style, then mixed). */
export function hashCombine(a: number, b: number): number {
  return fmix32((a ^ (Math.imul(b, 0x9e3779b1) + 0x7f4a7c15 + (a << 6) + (a >>> 2))) | 0)
}

/** The hash of a token as the tokenizer computes it: FNV-1a over lower-cased UTF-16 units, then fmix32. */
export function hashToken(token: string): number {
  let h = HASH_SEED
  for (let i = 0; i < token.length; i++) h = hashStep(h, lowerUnit(token.charCodeAt(i)))
  return fmix32(h)
}
