// One document's row: its content id and every curation signal, computed once at import.
import { cjkBigrams, hasCjk } from './cjk-search'
import type { DocumentRow } from './document-schema'
import { contentHash } from './signals/content-hash'
import { embed } from './signals/embedding'
import { detectLanguage } from './signals/language'
import { LSH_RECALL_WEIGHTS, bandHashes, bandsForThreshold, minhash } from './signals/minhash'
import { assessQuality } from './signals/quality'
import { textStats } from './signals/text-stats'
import { estimateTokens } from './token-counter'
import type { RawDocument } from './types'

/**
 * The LSH layout every stored document uses. It is fixed (tuned for recall at similarity 0.8) so that
 * documents from different imports stay comparable; an import's threshold only changes how candidates
 * are verified.
 */
export const LSH_LAYOUT = bandsForThreshold(0.8, 128, LSH_RECALL_WEIGHTS)

export interface AnalyzeContext {
  /** Source name from the import (wins over the record's own). */
  source?: string
  /** Used when neither the import nor the record names a source. */
  fallbackSource: string
  batch: string
  importedAt: string
  /** Tokens of a text with the workspace tokenizer; absent: the estimate. */
  countTokens?: ((text: string) => number) | null
}

export function analyze(doc: RawDocument, ctx: AnalyzeContext): DocumentRow {
  const text = doc.text
  const lang = detectLanguage(text)
  const stats = textStats(text)
  const quality = assessQuality(text, { lang: lang.lang })
  const signature = minhash(text)
  // The Chinese search column holds the title too, so a title is found like the text.
  const searchable = doc.title ? `${doc.title}\n${text}` : text
  const p = doc.provenance
  const id = contentHash(text)
  return {
    id,
    text,
    title: doc.title ?? null,
    url: doc.url ?? null,
    domain: domainOf(doc.url),
    source: ctx.source ?? doc.source ?? ctx.fallbackSource,
    format: doc.format,
    file: p.file,
    member: p.member ?? null,
    line: p.line ?? null,
    record: p.record ?? null,
    offset: p.offset ?? null,
    source_id: doc.sourceId ?? null,
    batch: ctx.batch,
    imported_at: ctx.importedAt,
    lang: lang.lang,
    lang_conf: lang.confidence,
    chars: stats.chars,
    words: stats.words,
    tokens: ctx.countTokens ? ctx.countTokens(text) : estimateTokens(stats.chars, stats.cjkRatio),
    quality_pass: quality.pass,
    quality_fails: quality.failed,
    dup_status: 'unique',
    dup_cluster: id,
    dup_size: 1,
    search_cjk: hasCjk(searchable) ? cjkBigrams(searchable) : null,
    lsh: Array.from(bandHashes(signature, LSH_LAYOUT.bands, LSH_LAYOUT.rows)),
    minhash: new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength),
    vector: embed(text),
    meta: JSON.stringify(doc.meta ?? {}),
  }
}

function domainOf(url: string | undefined): string | null {
  if (!url) return null
  try {
    return new URL(url).hostname || null
  } catch {
    return null
  }
}
