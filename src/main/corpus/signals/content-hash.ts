// Stable document ids from content: SHA-256 of the normalised text, as 32 hex characters.
import { createHash } from 'node:crypto'

/** Hex characters in a content id (128 of SHA-256's 256 bits). */
export const CONTENT_ID_LENGTH = 32

/**
 * The form of a text that the content id covers: Unicode NFC, CRLF and lone CR as LF, whitespace at the end
 * of every line removed, and leading/trailing whitespace of the whole text removed.
 */
export function normalizeForHash(text: string): string {
  const lines = text.normalize('NFC').replace(/\r\n?/g, '\n').split('\n')
  return lines.map((line) => line.trimEnd()).join('\n').trim()
}

/** A stable id for a document's content: the first 32 hex characters of SHA-256 over the normalised UTF-8 text. */
export function contentHash(text: string): string {
  return createHash('sha256').update(normalizeForHash(text), 'utf8').digest('hex').slice(0, CONTENT_ID_LENGTH)
}
