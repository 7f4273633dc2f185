// The one binary heap behind BPE merging (bpe-merge.ts) and BPE training (bpe-trainer.ts).

function swapIn(a: number[], i: number, j: number): void {
  const t = a[i] as number
  a[i] = a[j] as number
  a[j] = t
}

/**
 * Min-heap of entries ordered by (primary, secondary), each carrying two more numbers. Parallel number arrays,
 * so the hot merge loops allocate no object per entry. Stale entries are the caller's business.
 */
export class LexHeap {
  private k1: number[] = []
  private k2: number[] = []
  private p1: number[] = []
  private p2: number[] = []

  get length(): number {
    return this.k1.length
  }

  private less(i: number, j: number): boolean {
    const a = this.k1[i] as number
    const b = this.k1[j] as number
    return a < b || (a === b && (this.k2[i] as number) < (this.k2[j] as number))
  }

  private swap(i: number, j: number): void {
    swapIn(this.k1, i, j)
    swapIn(this.k2, i, j)
    swapIn(this.p1, i, j)
    swapIn(this.p2, i, j)
  }

  push(primary: number, secondary: number, p1 = 0, p2 = 0): void {
    this.k1.push(primary)
    this.k2.push(secondary)
    this.p1.push(p1)
    this.p2.push(p2)
    for (let i = this.k1.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1
      if (!this.less(i, parent)) break
      this.swap(i, parent)
      i = parent
    }
  }

  /** Removes the smallest entry and returns [primary, secondary, p1, p2]. */
  pop(): [number, number, number, number] {
    const top: [number, number, number, number] = [this.k1[0] as number, this.k2[0] as number, this.p1[0] as number, this.p2[0] as number]
    const last = this.k1.length - 1
    this.swap(0, last)
    this.k1.pop()
    this.k2.pop()
    this.p1.pop()
    this.p2.pop()
    for (let i = 0; ; ) {
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
