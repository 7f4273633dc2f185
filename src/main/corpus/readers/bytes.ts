// Pull-based byte reading over async chunk streams: lines, exact lengths and whole files, all with caps.

const EMPTY = new Uint8Array(0)
const LF = 0x0a
const CR = 0x0d

export function concatBytes(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0]
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * Reads a whole stream into memory, or returns undefined as soon as it exceeds `cap`
 * (so an oversized file is never fully buffered).
 */
export async function readAll(chunks: AsyncIterable<Uint8Array>, cap: number): Promise<Uint8Array | undefined> {
  const parts: Uint8Array[] = []
  let total = 0
  for await (const chunk of chunks) {
    total += chunk.length
    if (total > cap) return undefined
    parts.push(chunk)
  }
  return concatBytes(parts, total)
}

export interface Line {
  /** The line without its \n (and without a trailing \r); empty when the line was overlong. */
  bytes: Uint8Array
  /** Length in bytes of the line as it was in the stream, without the terminator. */
  length: number
  /** The line exceeded the limit and was skipped rather than buffered. */
  overlong: boolean
}

/** A cursor over a chunk stream that tracks how many bytes it has consumed. */
export class ByteStream {
  /** Bytes consumed so far (offset of the next unread byte). */
  offset = 0
  private buf: Uint8Array = EMPTY
  private pos = 0
  private done = false
  private readonly it: AsyncIterator<Uint8Array>

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]()
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.buf.length) {
      if (this.done) return false
      const r = await this.it.next()
      if (r.done) {
        this.done = true
        return false
      }
      this.buf = r.value
      this.pos = 0
    }
    return true
  }

  /** The next line, or undefined at the end of the stream. Lines longer than `limit` are skipped. */
  async readLine(limit: number): Promise<Line | undefined> {
    const parts: Uint8Array[] = []
    let length = 0
    let sawAny = false
    while (await this.fill()) {
      sawAny = true
      const nl = this.buf.indexOf(LF, this.pos)
      const end = nl < 0 ? this.buf.length : nl
      const piece = this.buf.subarray(this.pos, end)
      length += piece.length
      if (length <= limit) parts.push(piece)
      this.offset += end - this.pos + (nl < 0 ? 0 : 1)
      this.pos = nl < 0 ? this.buf.length : nl + 1
      if (nl >= 0) break
    }
    if (!sawAny) return undefined
    if (length > limit) return { bytes: EMPTY, length, overlong: true }
    let bytes = concatBytes(parts, length)
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1)
    return { bytes, length, overlong: false }
  }

  /**
   * Consumes exactly `n` bytes. Returns them when `keep`, otherwise discards them as they pass.
   * `got` is smaller than `n` when the stream ended early.
   */
  async read(n: number, keep: boolean): Promise<{ bytes: Uint8Array; got: number }> {
    const parts: Uint8Array[] = []
    let got = 0
    while (got < n && (await this.fill())) {
      const take = Math.min(n - got, this.buf.length - this.pos)
      if (keep) parts.push(this.buf.subarray(this.pos, this.pos + take))
      this.pos += take
      this.offset += take
      got += take
    }
    return { bytes: keep ? concatBytes(parts, got) : EMPTY, got }
  }

  /** The first byte that is not whitespace (or a UTF-8 BOM), without consuming anything. */
  async peekNonSpace(): Promise<number | undefined> {
    const seen: Uint8Array[] = []
    let found: number | undefined
    while (found === undefined && (await this.fill())) {
      const rest = this.buf.subarray(this.pos)
      seen.push(rest)
      this.pos = this.buf.length
      for (const b of rest) {
        if (b !== 0x20 && b !== 0x09 && b !== LF && b !== CR && b !== 0xef && b !== 0xbb && b !== 0xbf) {
          found = b
          break
        }
      }
    }
    // Put back what was looked at; leading whitespace is short so joining it is cheap.
    const total = seen.reduce((s, p) => s + p.length, 0)
    this.buf = concatBytes(seen, total)
    this.pos = 0
    return found
  }

  /** Every remaining byte, chunk by chunk, counted into `offset`. */
  async *chunks(): AsyncGenerator<Uint8Array> {
    while (await this.fill()) {
      const piece = this.buf.subarray(this.pos)
      this.pos = this.buf.length
      this.offset += piece.length
      yield piece
    }
  }
}
