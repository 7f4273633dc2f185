// GPT-2's byte-level alphabet: every byte as a printable character (space is Ġ), and back.

/** The character that stands for each byte value. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out: string[] = new Array<string>(256)
  let extra = 0
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff)
    out[b] = String.fromCharCode(printable ? b : 256 + extra++)
  }
  return out
})()

/** The byte value of each alphabet character. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]))

const encoder = new TextEncoder()

/** Text as its UTF-8 bytes spelled in the byte-level alphabet. */
export function toByteLevel(text: string): string {
  let s = ''
  for (const b of encoder.encode(text)) s += BYTE_TO_CHAR[b] as string
  return s
}

/** Bytes spelled in the byte-level alphabet as a string of the same length. */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += BYTE_TO_CHAR[b] as string
  return s
}

/** Whether every character of `token` belongs to the byte-level alphabet. */
export function isByteLevel(token: string): boolean {
  for (const c of token) if (!CHAR_TO_BYTE.has(c)) return false
  return token.length > 0
}
