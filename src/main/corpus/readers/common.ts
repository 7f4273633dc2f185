// Shared pieces of the format readers: where a record sits, problem/document constructors, size caps.
import type { ImportProblem, ProblemKind, Provenance, ReadItem, RawDocument, ReaderOptions } from '../types'

/** The file (and archive member) a reader is working on. */
export interface Where {
  file: string
  member?: string
}

/** Everything a format reader needs besides the bytes. */
export interface ReadContext {
  where: Where
  opts: ReaderOptions
}

/** One-document formats (HTML, text, PDF) are read whole; past this they are refused rather than risk the heap. */
export const MAX_WHOLE_FILE_BYTES = 256 * 1024 * 1024

/** A single JSONL line, JSON element or WARC record body above this is skipped without being buffered. */
export function maxRecordBytes(opts: ReaderOptions): number {
  // JSON may escape each character as \uXXXX (6 bytes); the slack leaves room for metadata.
  return Math.max(opts.maxChars * 6 + 1024 * 1024, 16 * 1024 * 1024)
}

type Place = Omit<Provenance, 'file' | 'member'>

export function problem(where: Where, kind: ProblemKind, reason: string, place: Place = {}): ReadItem {
  const p: ImportProblem = { kind, file: where.file, reason }
  if (where.member !== undefined) p.member = where.member
  Object.assign(p, place)
  return { type: 'problem', problem: p }
}

function provenance(where: Where, place: Place = {}): Provenance {
  const p: Provenance = { file: where.file }
  if (where.member !== undefined) p.member = where.member
  return Object.assign(p, place)
}

/**
 * Turns extracted text into a document, or into the 'empty'/'oversize' problem that stops it.
 * `fields` carries everything but text and provenance.
 */
export function textItem(
  ctx: ReadContext,
  text: string,
  fields: Omit<RawDocument, 'text' | 'provenance'>,
  place: Place = {},
): ReadItem {
  if (text.trim() === '') return problem(ctx.where, 'empty', 'no text after extraction; nothing to import', place)
  if (text.length > ctx.opts.maxChars) {
    return problem(
      ctx.where,
      'oversize',
      `${text.length} characters, over the limit of ${ctx.opts.maxChars}; raise the limit or split the source`,
      place,
    )
  }
  return { type: 'doc', doc: { text, ...fields, provenance: provenance(ctx.where, place) } }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** File-system errors in words a user can act on. */
export function ioReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOENT') return 'no such file or folder'
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied; check the file permissions'
  if (code === 'EISDIR') return 'is a folder, not a file'
  if (code === 'EMFILE' || code === 'ENFILE') return 'too many open files; close other programs and retry'
  return errorMessage(err)
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}
