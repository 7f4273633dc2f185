// Pre-tokenizer regexes (Llama 3 / cl100k, GPT-2) and their translation from the Rust/PCRE dialect of tokenizer files to JS.
import { AppError } from '../../shared/errors'

/** Llama 3's split pattern, as written in its tokenizer.json and as our trainer writes it. */
export const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"

/** GPT-2's pattern, used by a ByteLevel pre-tokenizer with use_regex. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"

/** Each ASCII letter of a `(?i:...)` body as a [xX] class; other characters stay. */
function caseless(body: string): string {
  let out = ''
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string
    if (c === '\\') out += c + (body[++i] ?? '')
    else if (/[a-zA-Z]/.test(c)) out += `[${c.toLowerCase()}${c.toUpperCase()}]`
    else out += c
  }
  return out
}

/**
 * Translates a tokenizer regex to a JS one with the `u` flag: `\s`/`\S` become Unicode White_Space (JS's \s
 * differs: it has U+FEFF and lacks U+0085) and `(?i:...)` groups of literals are spelled out case by case.
 */
export function compilePattern(pattern: string, file: string): RegExp {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '\\') {
      const e = pattern[++i] ?? ''
      out += e === 's' ? '\\p{White_Space}' : e === 'S' ? '\\P{White_Space}' : '\\' + e
    } else if (pattern.startsWith('(?i:', i)) {
      const close = pattern.indexOf(')', i)
      const body = pattern.slice(i + 4, close)
      if (close < 0 || body.includes('(')) throw unsupported(pattern, file)
      out += `(?:${caseless(body).replaceAll('\\s', '\\p{White_Space}')})`
      i = close
    } else out += c
  }
  try {
    return new RegExp(out, 'gu')
  } catch {
    throw unsupported(pattern, file)
  }
}

function unsupported(pattern: string, file: string): AppError {
  return new AppError('unsupported', `${file}: the pre-tokenizer pattern ${JSON.stringify(pattern)} uses regex features JavaScript lacks.`)
}

/** `s` as a regex matching itself. */
export function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
}

/** Splits text into the pattern's matches, keeping any text between matches as pieces too (HF's "Isolated"). */
export function splitIsolated(text: string, re: RegExp): string[] {
  const out: string[] = []
  let last = 0
  for (const m of text.matchAll(re)) {
    if (m[0] === '') continue
    if (m.index > last) out.push(text.slice(last, m.index))
    out.push(m[0])
    last = m.index + m[0].length
  }
  if (last < text.length) out.push(text.slice(last))
  return out
}
