// The BPE merge loop shared by every tokenizer: merge the best-ranked adjacent pair (ties: leftmost) until none is left, with a heap.
import { LexHeap } from './lex-heap'

/** Rank of merging `left` and `right` (lower merges first), or undefined when the pair never merges. */
export type PairRank = (left: string, right: string) => number | undefined

/**
 * Merges `symbols` in place of a copy and returns the final symbols. Exactly llama.cpp's SPM loop and
 * HF/tiktoken BPE: the best rank merges first, ties go to the leftmost pair, stale heap entries are skipped.
 */
export function bpeMerge(symbols: readonly string[], rank: PairRank): string[] {
  const n = symbols.length
  if (n < 2) return symbols.slice()
  const text = symbols.slice()
  const next = new Int32Array(n)
  const prev = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1
    prev[i] = i - 1
  }
  // Entries: (rank, left position) orders them; right position and merged length detect stale ones.
  const heap = new LexHeap()
  const consider = (l: number, r: number): void => {
    if (l < 0 || r < 0) return
    const a = text[l] as string
    const b = text[r] as string
    const k = rank(a, b)
    if (k !== undefined) heap.push(k, l, r, a.length + b.length)
  }
  for (let i = 0; i + 1 < n; i++) consider(i, i + 1)
  while (heap.length > 0) {
    const [, l, r, size] = heap.pop()
    const a = text[l] as string
    const b = text[r] as string
    // Stale: one side was merged away or grew since the pair was queued.
    if (a === '' || b === '' || next[l] !== r || a.length + b.length !== size) continue
    text[l] = a + b
    text[r] = ''
    const after = next[r] as number
    next[l] = after
    if (after >= 0) prev[after] = l
    consider(prev[l] as number, l)
    consider(l, after)
  }
  const out: string[] = []
  for (let i = 0; i >= 0; i = next[i] as number) out.push(text[i] as string)
  return out
}
