// The documents table: one row per distinct text (the id is its content hash), with its provenance
// and every curation signal as a column, so filters, facets and mixtures select on them directly.
import { arrow } from './arrow'

export const DOCUMENTS_TABLE = 'documents'
export const IMPORTS_TABLE = 'imports'

export interface DocumentRow {
  id: string
  text: string
  title: string | null
  url: string | null
  domain: string | null
  source: string
  format: string
  file: string
  member: string | null
  line: number | null
  record: number | null
  offset: number | null
  source_id: string | null
  batch: string
  imported_at: string
  lang: string
  lang_conf: number
  chars: number
  words: number
  tokens: number
  quality_pass: boolean
  quality_fails: string[]
  dup_status: string
  dup_cluster: string
  dup_size: number
  /** Title and text with CJK runs as bigrams, for Chinese full-text search; null when neither has CJK. */
  search_cjk: string | null
  /** LSH band keys of the MinHash signature: documents sharing one are near-duplicate candidates. */
  lsh: number[]
  /** The MinHash signature (uint32 little-endian), to verify candidates. */
  minhash: Uint8Array
  /** A cheap hashed n-gram embedding for "more like this". */
  vector: Float32Array
  /** Other record metadata as JSON. */
  meta: string
}

export function documentsSchema(vectorDim: number) {
  const { Field, Schema, Utf8, Int32, Float32, Float64, Bool, List, Binary, FixedSizeList } = arrow
  const f = (name: string, type: import('apache-arrow').DataType, nullable = false) => new Field(name, type, nullable)
  return new Schema([
    f('id', new Utf8()),
    f('text', new Utf8()),
    f('title', new Utf8(), true),
    f('url', new Utf8(), true),
    f('domain', new Utf8(), true),
    f('source', new Utf8()),
    f('format', new Utf8()),
    f('file', new Utf8()),
    f('member', new Utf8(), true),
    f('line', new Int32(), true),
    f('record', new Int32(), true),
    f('offset', new Float64(), true),
    f('source_id', new Utf8(), true),
    f('batch', new Utf8()),
    f('imported_at', new Utf8()),
    f('lang', new Utf8()),
    f('lang_conf', new Float32()),
    f('chars', new Int32()),
    f('words', new Int32()),
    f('tokens', new Int32()),
    f('quality_pass', new Bool()),
    f('quality_fails', new List(new Field('item', new Utf8(), true))),
    f('dup_status', new Utf8()),
    f('dup_cluster', new Utf8()),
    f('dup_size', new Int32()),
    f('search_cjk', new Utf8(), true),
    f('lsh', new List(new Field('item', new Int32(), true))),
    f('minhash', new Binary()),
    f('vector', new FixedSizeList(vectorDim, new Field('item', new Float32(), true))),
    f('meta', new Utf8()),
  ])
}

/** One row per import: what it read, what it added, what it skipped, and its problems count. */
export interface ImportRow {
  batch: string
  started_at: string
  finished_at: string
  paths: string
  source: string
  files: number
  documents_read: number
  added: number
  already_present: number
  exact_duplicates: number
  problems: number
  bytes: number
  /** How this import counted tokens: the tokenizer's file name, or "estimate". */
  token_counter: string
}

export function importsSchema() {
  const { Field, Schema, Utf8, Int32, Float64 } = arrow
  return new Schema([
    new Field('batch', new Utf8()),
    new Field('started_at', new Utf8()),
    new Field('finished_at', new Utf8()),
    new Field('paths', new Utf8()),
    new Field('source', new Utf8()),
    new Field('files', new Int32()),
    new Field('documents_read', new Int32()),
    new Field('added', new Int32()),
    new Field('already_present', new Int32()),
    new Field('exact_duplicates', new Int32()),
    new Field('problems', new Int32()),
    new Field('bytes', new Float64()),
    new Field('token_counter', new Utf8()),
  ])
}
