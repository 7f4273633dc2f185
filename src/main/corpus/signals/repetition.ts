// Gopher repetition measures: repeated lines/paragraphs, the top n-gram and repeated n-grams over the token stream.
import { HashCounter } from './hash-counter'
import type { TextScan } from './scan'

/** Reused by every call: clearing costs the keys of the previous document, not a new table. */
const table = new HashCounter()

export interface Duplicates {
  /** Elements equal to an earlier element. */
  count: number
  /** Their total length in UTF-16 units. */
  chars: number
}

/** Elements that repeat an earlier one, and their characters (datatrove's find_duplicates). */
export function duplicates(items: readonly string[]): Duplicates {
  const seen = new Set<string>()
  let count = 0
  let chars = 0
  for (const item of items) {
    if (seen.has(item)) {
      count++
      chars += item.length
    } else {
      seen.add(item)
    }
  }
  return { count, chars }
}

/** Characters of the n-gram starting at `start`: token lengths plus one space between words (none between CJK). */
function gramChars(scan: TextScan, start: number, n: number): number {
  let chars = scan.length[start] as number
  for (let i = start + 1; i < start + n; i++) {
    chars += scan.length[i] as number
    if (scan.unspaced[i] === 0 || scan.unspaced[i - 1] === 0) chars++
  }
  return chars
}

/**
 * For each n in `topNs`, characters of the most frequent n-gram times its count; for each n in `dupNs`,
 * characters in n-grams that repeat an earlier one, scanning left to right and jumping past each repeat
 * (datatrove's find_top_duplicate and find_all_duplicate). Both as fractions of `totalChars`.
 * N-grams are compared by a 32-bit rolling hash of their token hashes (h_n = h_(n-1) * FNV prime xor token);
 * a collision (odds about k^2 / 2^33 for k distinct n-grams) merges two n-grams, which can only raise a
 * fraction by one n-gram's characters.
 */
export function nGramRepetition(
  scan: TextScan,
  topNs: readonly number[],
  dupNs: readonly number[],
  totalChars: number,
): { top: Map<number, number>; dup: Map<number, number> } {
  const top = new Map<number, number>()
  const dup = new Map<number, number>()
  const maxN = Math.max(0, ...topNs, ...dupNs)
  const count = scan.count
  const grams = scan.hash.slice(0, count)
  let noRepeatsFrom = Infinity
  for (let n = 1; n <= maxN; n++) {
    const positions = count - n + 1
    const wantTop = topNs.includes(n)
    const wantDup = dupNs.includes(n)
    if (positions <= 0 || n > noRepeatsFrom) {
      // No (n-1)-gram repeats, so no n-gram does: every count is 1 and the first n-gram is the "top" one.
      if (wantTop) top.set(n, positions > 0 ? gramChars(scan, 0, n) / totalChars : 0)
      if (wantDup) dup.set(n, 0)
      continue
    }
    if (n > 1) for (let i = 0; i < positions; i++) grams[i] = Math.imul(grams[i] as number, 0x01000193) ^ (scan.hash[i + n - 1] as number)
    if (wantTop) {
      table.clear()
      let best = 0
      let bestAt = 0
      for (let i = 0; i < positions; i++) {
        const c = table.add(grams[i] as number)
        if (c > best) {
          best = c
          bestAt = i
        }
      }
      top.set(n, (best * gramChars(scan, bestAt, n)) / totalChars)
    }
    if (wantDup) {
      table.clear()
      let repeated = 0
      let i = 0
      while (i < positions) {
        // add() returns 1 for an n-gram not seen before (datatrove adds it to its set), more for a repeat.
        if (table.add(grams[i] as number) > 1) {
          repeated += gramChars(scan, i, n)
          i += n
        } else {
          i++
        }
      }
      dup.set(n, repeated / totalChars)
      if (repeated === 0) noRepeatsFrom = n
    }
  }
  return { top, dup }
}
