// What readers yield and what an import records: documents with provenance, and problems with a place.

/** The formats an import understands. */
export type SourceFormat = 'html' | 'jsonl' | 'json' | 'parquet' | 'txt' | 'md' | 'pdf' | 'warc'

/** Where a document came from, precisely enough to find it again. */
export interface Provenance {
  /** The file as the user named it (absolute path); for archive members, the archive. */
  file: string
  /** Path inside an archive (zip), when the document came from one. */
  member?: string
  /** 1-based line in a JSONL file. */
  line?: number
  /** 0-based record index in a JSON array, Parquet file or WARC file. */
  record?: number
  /** Byte offset of the record (WARC). */
  offset?: number
}

export interface RawDocument {
  text: string
  title?: string
  url?: string
  format: SourceFormat
  provenance: Provenance
  /** The id the source itself gave (Dolma `id`), kept as metadata. */
  sourceId?: string
  /** A source name the record itself carries (Dolma `source`). */
  source?: string
  /** Other metadata from the record, JSON-serialisable. */
  meta?: Record<string, unknown>
}

export type { ImportProblem, ProblemKind } from '../../shared/corpus'
import type { ImportProblem } from '../../shared/corpus'

export type ReadItem = { type: 'doc'; doc: RawDocument } | { type: 'problem'; problem: ImportProblem }

export interface ReaderOptions {
  /** JSON field holding the text (default "text"; also tries content, raw_content). */
  textField?: string
  /** Records with more characters than this are reported as oversize and skipped. */
  maxChars: number
  /** Stop at the next record when aborted. */
  signal?: AbortSignal
}
