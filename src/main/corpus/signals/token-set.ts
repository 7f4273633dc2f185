// Sets of words (stop words, English markers) matched against a scan's token hashes, with a one-byte prefilter.
import { hashToken } from './chars'
import type { TextScan } from './scan'

/** Token hashes to look up, with a prefilter on the low byte of the hash that rejects most tokens at once. */
export interface TokenSet {
  readonly hashes: ReadonlySet<number>
  readonly filter: Uint8Array
}

const tokenSets = new WeakMap<readonly string[], TokenSet>()

/** The TokenSet of a word list (remembered per array, so a constant list is hashed once). */
export function tokenSet(words: readonly string[]): TokenSet {
  let set = tokenSets.get(words)
  if (set === undefined) {
    const hashes = new Set(words.map(hashToken))
    const filter = new Uint8Array(256)
    for (const h of hashes) filter[h & 255] = 1
    set = { hashes, filter }
    tokenSets.set(words, set)
  }
  return set
}

/** Count the tokens of one kind (0 words, 1 Han/kana characters) that are in the set. */
export function countTokensIn(scan: TextScan, set: TokenSet, unspaced: 0 | 1): number {
  let hits = 0
  for (let i = 0; i < scan.count; i++) {
    const h = scan.hash[i] as number
    if (set.filter[h & 255] === 1 && scan.unspaced[i] === unspaced && set.hashes.has(h)) hits++
  }
  return hits
}
