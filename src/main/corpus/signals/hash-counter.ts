// An open-addressing counter of 32-bit keys in typed arrays: a cheaper Map<number, number> for per-document counting.

/** Tables above this many slots are given back on `clear`, so one huge document does not pin its memory. */
const MAX_KEPT_CAPACITY = 1 << 17
const MIN_CAPACITY = 1 << 10

/**
 * Counts occurrences of unsigned 32-bit keys (expected to be well-mixed hashes). Grows as needed; `clear`
 * costs the number of keys, not the capacity, so one instance can be reused for every document.
 */
export class HashCounter {
  private keys = new Uint32Array(MIN_CAPACITY)
  private counts = new Uint32Array(MIN_CAPACITY)
  /** Occupied slots in insertion order. */
  private order = new Int32Array(MIN_CAPACITY / 2)
  private shift = Math.clz32(MIN_CAPACITY) + 1
  private used = 0

  private slot(key: number): number {
    const mask = this.keys.length - 1
    // Fibonacci hashing: the high bits of the product pick the first slot; linear probing from there.
    let i = Math.imul(key, 0x9e3779b1) >>> this.shift
    while (this.counts[i] !== 0 && this.keys[i] !== key) i = (i + 1) & mask
    return i
  }

  /** Add one occurrence of a key; returns its new count. */
  add(key: number): number {
    let i = this.slot(key)
    const count = this.counts[i] as number
    if (count === 0) {
      if (this.used === this.order.length) {
        this.grow()
        i = this.slot(key)
      }
      this.keys[i] = key
      this.order[this.used++] = i
    }
    this.counts[i] = count + 1
    return count + 1
  }

  /** Visit every key with its count, in the order the keys were first added. */
  forEach(visit: (key: number, count: number) => void): void {
    for (let k = 0; k < this.used; k++) {
      const i = this.order[k] as number
      visit(this.keys[i] as number, this.counts[i] as number)
    }
  }

  /** Forget all keys. */
  clear(): void {
    if (this.keys.length > MAX_KEPT_CAPACITY) {
      this.keys = new Uint32Array(MIN_CAPACITY)
      this.counts = new Uint32Array(MIN_CAPACITY)
      this.order = new Int32Array(MIN_CAPACITY / 2)
      this.shift = Math.clz32(MIN_CAPACITY) + 1
    } else {
      for (let k = 0; k < this.used; k++) this.counts[this.order[k] as number] = 0
    }
    this.used = 0
  }

  /** Double the table (kept at most half full) and re-insert the keys in their order. */
  private grow(): void {
    const keys = this.keys
    const counts = this.counts
    const order = this.order
    this.keys = new Uint32Array(keys.length * 2)
    this.counts = new Uint32Array(keys.length * 2)
    this.order = new Int32Array(order.length * 2)
    this.shift--
    for (let k = 0; k < this.used; k++) {
      const old = order[k] as number
      const i = this.slot(keys[old] as number)
      this.keys[i] = keys[old] as number
      this.counts[i] = counts[old] as number
      this.order[k] = i
    }
  }
}
