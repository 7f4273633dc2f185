// Number, language and label helpers shared by the corpus components.
import type { DupStatus } from '../../../../shared/corpus'
import { compact, int } from '../../lib/format'

export { compact, int }

/** A share as a percentage with one decimal ("–" when the whole is empty). */
export function pct(part: number, whole: number): string {
  if (!(whole > 0)) return '–'
  const p = (part / whole) * 100
  return `${p > 0 && p < 0.1 ? '<0.1' : p.toFixed(p >= 99.95 || p === 0 ? 0 : 1)}%`
}

/** "1 document" / "12 documents". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${int(n)} ${n === 1 ? word : many}`
}

/** Token bucket bounds: 16, 512, 1k, 64k, 1M (binary k/M for powers of two). */
export function tokenBound(n: number): string {
  if (!Number.isFinite(n)) return '∞'
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)}M`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}k`
  return compact(n)
}

let names: Intl.DisplayNames | null | undefined
/** "English" for "en"; the code itself when the runtime does not know it. */
export function langName(code: string): string {
  if (names === undefined) {
    try {
      names = new Intl.DisplayNames(['en'], { type: 'language' })
    } catch {
      names = null
    }
  }
  try {
    const name = names?.of(code)
    return name && name !== code ? name : code
  } catch {
    return code
  }
}

export const DUP_LABEL: Record<DupStatus, string> = {
  unique: 'Unique',
  representative: 'Representative',
  'near-duplicate': 'Near-duplicate',
}

/** A title for a document without one: the first words of its text. */
export function fallbackTitle(title: string | null, snippet: string): string {
  if (title && title.trim()) return title.trim()
  const text = snippet.replace(/\s+/g, ' ').trim()
  if (!text) return 'Untitled document'
  // CJK text has no spaces: cut by characters instead of words.
  if (/[\u3000-\u9fff\uac00-\ud7af]/.test(text.slice(0, 20))) return text.length > 24 ? `${text.slice(0, 24)}…` : text
  const words = text.split(' ')
  return words.length > 10 ? `${words.slice(0, 10).join(' ')}…` : text
}
