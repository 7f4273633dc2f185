// The BPE merge loop shared by every tokenizer: merge the best-ranked adjacent pair (ties: leftmost) until none is left, with a heap.

/** Rank of merging `left` and `right` (lower merges first), or undefined when the pair never merges. */
export type PairRank = (left: string, right: string) => number | undefined

function swapIn(a: number[], i: number, j: number): void {
  const t = a[i] as number
  a[i] = a[j] as number
  a[j] = t
}

/** Min-heap of candidate pairs ordered by (rank, left position), in parallel arrays. */
class PairHeap {
  private rank: number[] = []
  private left: number[] = []
  private right: number[] = []
  private size: number[] = []

  get length(): number {
    return this.rank.length
  }

  private less(i: number, j: number): boolean {
    const ri = this.rank[i] as number
    const rj = this.rank[j] as number
    return ri < rj || (ri === rj && (this.left[i] as number) < (this.left[j] as number))
  }

  private swap(i: number, j: number): void {
    swapIn(this.rank, i, j)
    swapIn(this.left, i, j)
    swapIn(this.right, i, j)
    swapIn(this.size, i, j)
  }

  push(rank: number, left: number, right: number, size: number): void {
    this.rank.push(rank)
    this.left.push(left)
    this.right.push(right)
    this.size.push(size)
    let i = this.rank.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  /** Removes the best entry and returns [left, right, size]. */
  pop(): [number, number, number] {
    const top: [number, number, number] = [this.left[0] as number, this.right[0] as number, this.size[0] as number]
    const last = this.rank.length - 1
    this.swap(0, last)
    this.rank.pop()
    this.left.pop()
    this.right.pop()
    this.size.pop()
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let best = i
      if (l < last && this.less(l, best)) best = l
      if (r < last && this.less(r, best)) best = r
      if (best === i) break
      this.swap(i, best)
      i = best
    }
    return top
  }
}

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
  const heap = new PairHeap()
  const consider = (l: number, r: number): void => {
    if (l < 0 || r < 0) return
    const a = text[l] as string
    const b = text[r] as string
    const k = rank(a, b)
    if (k !== undefined) heap.push(k, l, r, a.length + b.length)
  }
  for (let i = 0; i + 1 < n; i++) consider(i, i + 1)
  while (heap.length > 0) {
    const [l, r, size] = heap.pop()
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
