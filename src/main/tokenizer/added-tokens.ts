// Finds added tokens (special and user-defined) written literally in text: leftmost match, longest first.
import { escapeRegExp } from './pretokenizer'

export interface AddedToken {
  id: number
  /** The text that stands for the token. */
  content: string
  /** Special (control) tokens match only when the caller asks for them and are left out of decoded text. */
  special: boolean
}

/** A piece of text to tokenize normally, or the id of an added token found in the text. */
export type Segment = string | number

function alternation(tokens: readonly AddedToken[]): { re: RegExp; ids: Map<string, number> } | null {
  if (tokens.length === 0) return null
  const ids = new Map<string, number>()
  for (const t of tokens) if (!ids.has(t.content)) ids.set(t.content, t.id)
  const sorted = [...ids.keys()].sort((a, b) => b.length - a.length)
  return { re: new RegExp(sorted.map(escapeRegExp).join('|'), 'gu'), ids }
}

export class AddedTokenMatcher {
  private readonly all: ReturnType<typeof alternation>
  private readonly plain: ReturnType<typeof alternation>

  /** `tokens` with empty content are ignored; `form` maps a token's content to how it appears in the text being split. */
  constructor(tokens: readonly AddedToken[], form: (content: string) => string = (s) => s) {
    const usable = tokens.filter((t) => t.content !== '').map((t) => ({ ...t, content: form(t.content) }))
    this.all = alternation(usable)
    this.plain = alternation(usable.filter((t) => !t.special))
  }

  /** Splits `text` around the added tokens it contains; special ones count only when `special` is true. */
  split(text: string, special: boolean): Segment[] {
    const m = special ? this.all : this.plain
    if (!m) return [text]
    const out: Segment[] = []
    let last = 0
    for (const hit of text.matchAll(m.re)) {
      if (hit.index > last) out.push(text.slice(last, hit.index))
      out.push(m.ids.get(hit[0]) as number)
      last = hit.index + hit[0].length
    }
    if (last < text.length) out.push(text.slice(last))
    return out
  }
}
