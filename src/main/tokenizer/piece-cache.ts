// The tokenizers' cache of token ids for short text pieces seen recently (words and their spaces).
// Keys are copied in: a piece cut out of a document is, in V8, a slice that keeps the whole document
// in memory while it is cached. An import's analysis thread caching 100k pieces that way held hundreds
// of MB of old documents.

/** Pieces up to this many UTF-16 units are cached; longer ones are rare and would fill the cache. */
export const CACHEABLE_PIECE = 64
const CACHE_LIMIT = 100_000

export class PieceCache {
  private readonly ids = new Map<string, number[]>()

  get(piece: string): number[] | undefined {
    return this.ids.get(piece)
  }

  /** Caches a piece's ids (the cache starts over once it holds 100k pieces). */
  set(piece: string, ids: number[]): void {
    if (this.ids.size >= CACHE_LIMIT) this.ids.clear()
    this.ids.set(ownCopy(piece), ids)
  }
}

/** A string with storage of its own, not a view into the string it was cut from. */
function ownCopy(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le')
}
