// The corpus in LanceDB: adding documents, searching (full text in English and Chinese, filters,
// vectors), one document with its near-duplicates, statistics, and index maintenance.
import '../util/lancedb-env'
import * as lancedb from '@lancedb/lancedb'
import type { CorpusStats, DocDetail, DocFilter, DocSort, DocSummary } from '../../shared/corpus'
import { AppError } from '../../shared/errors'
import type { Workspace } from '../workspace/workspace'
import { cjkBigrams, hasCjk } from './cjk-search'
import { DOCUMENTS_TABLE, type DocumentRow, IMPORTS_TABLE, type ImportRow, documentsSchema, importsSchema } from './document-schema'
import { EMBEDDING_DIM } from './signals/embedding'

/** What a list row needs; the snippet is cut by LanceDB so a page never reads whole documents. */
const SUMMARY_SELECT: Record<string, string> = {
  id: 'id',
  title: 'title',
  snippet: 'left(text, 300)',
  url: 'url',
  source: 'source',
  lang: 'lang',
  tokens: 'tokens',
  quality_pass: 'quality_pass',
  dup_status: 'dup_status',
}
/**
 * Full-text results are ranked and counted up to this many; the UI shows "1,000+" past it. Fetching
 * more ranked hits costs more than the search itself on a large corpus (random reads per hit).
 */
const MAX_TEXT_MATCHES = 1_000
/**
 * Chinese phrases of three or more characters are confirmed on the text of this many top hits ("300+"):
 * reading a thousand texts took 60-100 ms at 1M documents.
 */
const MAX_CONFIRMED_MATCHES = 300
const SNIPPET_CHARS = 240
const VECTOR_INDEX_MIN_ROWS = 50_000
/** The vector index is trained again (new partitions) once the table has grown to this multiple of the rows it was trained on. */
const VECTOR_INDEX_RETRAIN_GROWTH = 4
/** IVF partitions searched, and candidates re-ranked on the full vectors per neighbour wanted. */
const VECTOR_PROBES = 100
const VECTOR_REFINE = 10

type Row = Record<string, unknown>

/** A ranked full-text match. */
export interface TextHit {
  rowId: bigint
  score: number
  /** Only when ranked by token count. */
  tokens?: number
}

export class DocumentStore {
  private constructor(
    readonly docs: lancedb.Table,
    readonly imports: lancedb.Table,
  ) {}

  static async open(ws: Workspace): Promise<DocumentStore> {
    const db = await ws.db()
    const names = await db.tableNames()
    const docs = names.includes(DOCUMENTS_TABLE)
      ? await db.openTable(DOCUMENTS_TABLE)
      : await db.createEmptyTable(DOCUMENTS_TABLE, documentsSchema(EMBEDDING_DIM), { existOk: true })
    const imports = names.includes(IMPORTS_TABLE)
      ? await db.openTable(IMPORTS_TABLE)
      : await db.createEmptyTable(IMPORTS_TABLE, importsSchema(), { existOk: true })
    // Workspaces from before token counts were recorded per import counted with the estimate.
    if (!(await imports.schema()).fields.some((f) => f.name === 'token_counter')) await imports.addColumns([{ name: 'token_counter', valueSql: "'estimate'" }])
    return new DocumentStore(docs, imports)
  }

  /** Opens the store only if the workspace has documents; null for a workspace never imported into. */
  static async openIfExists(ws: Workspace): Promise<DocumentStore | null> {
    return (await ws.tableNames()).includes(DOCUMENTS_TABLE) ? DocumentStore.open(ws) : null
  }

  close(): void {
    this.docs.close()
    this.imports.close()
  }

  /** Every stored id (content hashes), so an import skips what is already there without a join per batch. */
  async ids(): Promise<Set<string>> {
    const ids = new Set<string>()
    for await (const batch of this.docs.query().select(['id'])) {
      const col = batch.getChild('id')!
      for (let i = 0; i < batch.numRows; i++) ids.add(col.get(i) as string)
    }
    return ids
  }

  async add(rows: DocumentRow[]): Promise<void> {
    if (rows.length) await this.docs.add(rows as unknown as Record<string, unknown>[])
  }

  async recordImport(row: ImportRow): Promise<void> {
    await this.imports.add([row as unknown as Record<string, unknown>])
  }

  async count(filter: DocFilter = {}): Promise<number> {
    return this.docs.countRows(whereClause(filter) ?? undefined)
  }

  /** A page of documents matching the filter, with the number of matches. */
  async search(filter: DocFilter, sort: DocSort, offset: number, limit: number): Promise<{ total: number; capped: boolean; rows: DocSummary[] }> {
    const where = whereClause(filter)
    const text = filter.query?.trim()
    if (text) {
      // A phrase's hits are confirmed on their text first; the page's rows as ranked, most of which hold
      // the phrase, are read meanwhile, and only the rows the confirmation brought in are read after.
      let early: Promise<Row[]> = Promise.resolve([])
      const { hits, capped } = await this.textHits(text, where, sort, (ranked) => {
        if (!byTokens(sort)) early = this.rowsAt(ranked.slice(offset, offset + limit).map((h) => h.rowId))
      })
      const page = hits.slice(offset, offset + limit)
      const read = new Map((await early).map((r) => [r._rowid as bigint, r]))
      for (const r of await this.rowsAt(page.filter((h) => !read.has(h.rowId)).map((h) => h.rowId))) read.set(r._rowid as bigint, r)
      // A hit whose row is gone (another process compacted the table since) is left out.
      const rows = page.flatMap((h) => {
        const r = read.get(h.rowId)
        return r ? [{ ...summary(r), score: h.score }] : []
      })
      return { total: hits.length, capped, rows }
    }
    if (offset === 0 && !byTokens(sort)) {
      // The first page in stored order reads only its rows; the count comes from the indexes.
      let q = this.docs.query().select(SUMMARY_SELECT).limit(limit)
      if (where) q = q.where(where)
      const [total, rows] = await Promise.all([this.docs.countRows(where ?? undefined), q.toArray() as Promise<Row[]>])
      return { total, capped: false, rows: rows.map(summary) }
    }
    // Later pages (a virtualised list scrolling) and sorted listings: the ordered row ids of the whole
    // listing are read once per table version, then every page is a direct read of its rows.
    const ids = await this.orderedRowIds(where, sort)
    const rows = await this.rowsAt(Array.from(ids.subarray(offset, offset + limit)))
    return { total: ids.length, capped: false, rows: rows.map(summary) }
  }

  /**
   * Ranked full-text matches (row ids and scores, best first), up to MAX_TEXT_MATCHES (MAX_CONFIRMED_MATCHES
   * for long Chinese phrases): what the
   * browser pages through and an export of the view writes. Long Chinese phrases are confirmed on the
   * text of those hits, so `capped` (more matched than were ranked) can stand over fewer confirmed ones.
   */
  async textHits(text: string, where: string | null, sort: DocSort = 'relevance', whileConfirming?: (ranked: TextHit[]) => void): Promise<{ hits: TextHit[]; capped: boolean }> {
    const runs = longCjkRuns(text)
    const cap = runs.length ? MAX_CONFIRMED_MATCHES : MAX_TEXT_MATCHES
    const tokenOrder = byTokens(sort)
    // Only row ids and scores: reading columns of a thousand scattered rows costs more than the search.
    let q = this.docs.query().fullTextSearch(textQuery(text))
    if (where) q = q.where(where)
    const rows = (await q.withRowId().select(tokenOrder ? { _score: '_score', tokens: 'tokens' } : { _score: '_score' }).limit(cap).toArray()) as Row[]
    let hits: TextHit[] = rows.map((r) => ({ rowId: r._rowid as bigint, score: Number(r._score), ...(tokenOrder ? { tokens: Number(r.tokens) } : {}) }))
    if (runs.length) {
      whileConfirming?.(hits)
      hits = await this.confirmCjk(hits, runs)
    }
    // Stable: equal counts keep their relevance order.
    if (tokenOrder) hits.sort((a, b) => (sort === 'tokens-asc' ? 1 : -1) * (a.tokens! - b.tokens!))
    return { hits, capped: rows.length >= cap }
  }

  /**
   * Keeps the hits whose title or text holds every CJK run as written: bigram matches do not fix the
   * order of a word of three or more characters, and the index has no positions. Checked on the hits'
   * rows only, so the cost follows the number of matches, not the size of the corpus.
   */
  private async confirmCjk(hits: TextHit[], runs: string[]): Promise<TextHit[]> {
    const ok = new Set<bigint>()
    // Read in concurrent chunks: one read of a thousand scattered rows waits on each in turn.
    const chunks: bigint[][] = []
    for (let i = 0; i < hits.length; i += 200) chunks.push(hits.slice(i, i + 200).map((h) => h.rowId))
    for (const rows of await Promise.all(chunks.map((ids) => this.rowsAt(ids, ['title', 'text'])))) {
      for (const r of rows) {
        const haystack = `${(r.title as string | null) ?? ''}\n${r.text as string}`
        if (runs.every((run) => haystack.includes(run))) ok.add(r._rowid as bigint)
      }
    }
    return hits.filter((h) => ok.has(h.rowId))
  }

  /** Rows by row id with these columns (a list row's by default) and `_rowid`; ids no longer present are skipped. */
  async rowsAt(rowIds: readonly bigint[], columns: string[] | Record<string, string> = SUMMARY_SELECT): Promise<Row[]> {
    if (!rowIds.length) return []
    const rows = (await this.docs.takeRowIds(rowIds).withRowId().select(columns).toArray()) as Row[]
    const byId = new Map(rows.map((r) => [r._rowid as bigint, r]))
    return rowIds.map((id) => byId.get(id)).filter((r): r is Row => !!r)
  }

  private orderCache: { key: string; version: number; ids: Promise<BigUint64Array> } | null = null

  /**
   * Row ids of a listing in its order (stored order, or by token count), read once per table version and
   * filter; concurrent page requests share one read.
   */
  private async orderedRowIds(where: string | null, sort: DocSort): Promise<BigUint64Array> {
    const version = await this.docs.version()
    const key = `${where}|${byTokens(sort) ? sort : 'stored'}`
    if (this.orderCache?.key !== key || this.orderCache.version !== version) {
      const ids = this.readOrderedRowIds(where, byTokens(sort) ? sort : null)
      this.orderCache = { key, version, ids }
      // A failed read is not kept.
      ids.catch(() => {
        if (this.orderCache?.ids === ids) this.orderCache = null
      })
    }
    return this.orderCache.ids
  }

  private async readOrderedRowIds(where: string | null, sort: DocSort | null): Promise<BigUint64Array> {
    const ids: bigint[] = []
    const tokens: number[] = []
    let q = this.docs.query().withRowId().select(sort ? ['tokens'] : ['_rowid'])
    if (where) q = q.where(where)
    for await (const batch of q) {
      const rowId = batch.getChild('_rowid')!
      const tok = sort ? batch.getChild('tokens')! : null
      for (let i = 0; i < batch.numRows; i++) {
        ids.push(rowId.get(i) as bigint)
        if (tok) tokens.push(tok.get(i) as number)
      }
    }
    if (!sort) return BigUint64Array.from(ids)
    const order = ids.map((_, i) => i)
    order.sort((a, b) => (sort === 'tokens-asc' ? tokens[a]! - tokens[b]! : tokens[b]! - tokens[a]!) || a - b)
    return BigUint64Array.from(order, (i) => ids[i]!)
  }

  async get(id: string): Promise<DocDetail> {
    const [row] = (await this.docs.query().where(`id = ${sql(id)}`).limit(1).toArray()) as Row[]
    if (!row) throw new AppError('not_found', `No document with id ${id} in this workspace.`, { id })
    const cluster = row.dup_cluster as string
    const near = Number(row.dup_size) > 1
      ? ((await this.docs.query().where(`dup_cluster = ${sql(cluster)} AND id != ${sql(id)}`).select(SUMMARY_SELECT).limit(50).toArray()) as Row[]).map(summary)
      : []
    let meta: Record<string, unknown> = {}
    try {
      meta = JSON.parse(row.meta as string) as Record<string, unknown>
    } catch {
      meta = {}
    }
    return {
      id,
      title: (row.title as string | null) ?? null,
      text: row.text as string,
      url: (row.url as string | null) ?? null,
      domain: (row.domain as string | null) ?? null,
      source: row.source as string,
      lang: row.lang as string,
      langConfidence: Number(row.lang_conf),
      chars: Number(row.chars),
      words: Number(row.words),
      tokens: Number(row.tokens),
      qualityPass: Boolean(row.quality_pass),
      qualityFails: listOf(row.quality_fails),
      dupStatus: row.dup_status as DocDetail['dupStatus'],
      dupCluster: cluster,
      dupSize: Number(row.dup_size),
      provenance: {
        file: row.file as string,
        member: (row.member as string | null) ?? null,
        line: numOrNull(row.line),
        record: numOrNull(row.record),
        offset: numOrNull(row.offset),
        sourceId: (row.source_id as string | null) ?? null,
        format: row.format as string,
        batch: row.batch as string,
        importedAt: row.imported_at as string,
      },
      meta,
      nearDuplicates: near,
    }
  }

  /** Documents nearest to this one by the hashed n-gram embedding (cosine). */
  async similar(id: string, limit: number): Promise<DocSummary[]> {
    const [row] = (await this.docs.query().where(`id = ${sql(id)}`).select(['vector']).limit(1).toArray()) as Row[]
    if (!row) throw new AppError('not_found', `No document with id ${id} in this workspace.`, { id })
    const vector = Array.from(row.vector as ArrayLike<number>)
    // One extra neighbour instead of a filter: excluding the document itself with a filter scans the
    // whole table for its row ids first. The quantised index is probed widely and refined on the vectors.
    const hits = (await this.docs.query().nearestTo(vector).distanceType('cosine').nprobes(VECTOR_PROBES).refineFactor(VECTOR_REFINE)
      .select({ ...SUMMARY_SELECT, _distance: '_distance' }).limit(limit + 1).toArray()) as Row[]
    return hits.filter((h) => h.id !== id).slice(0, limit).map((h) => ({ ...summary(h), score: 1 - Number(h._distance) }))
  }

  async stats(): Promise<CorpusStats> {
    const langs = new Map<string, { documents: number; tokens: number }>()
    const sources = new Map<string, { documents: number; tokens: number }>()
    const fails = new Map<string, number>()
    const clusters = new Set<string>()
    const bounds = histogramBounds()
    const hist = bounds.map(() => 0)
    let documents = 0
    let tokens = 0
    let pass = 0
    let near = 0
    const q = this.docs.query().select(['lang', 'source', 'tokens', 'quality_pass', 'quality_fails', 'dup_status', 'dup_cluster'])
    for await (const batch of q) {
      const col = (name: string) => batch.getChild(name)!
      const [lang, source, tok, qp, qf, ds, dc] = ['lang', 'source', 'tokens', 'quality_pass', 'quality_fails', 'dup_status', 'dup_cluster'].map(col)
      for (let i = 0; i < batch.numRows; i++) {
        const t = Number(tok!.get(i))
        documents++
        tokens += t
        bump(langs, lang!.get(i) as string, t)
        bump(sources, source!.get(i) as string, t)
        if (qp!.get(i)) pass++
        for (const rule of listOf(qf!.get(i))) fails.set(rule, (fails.get(rule) ?? 0) + 1)
        const status = ds!.get(i) as string
        if (status === 'near-duplicate') near++
        if (status !== 'unique') clusters.add(dc!.get(i) as string)
        let b = 0
        while (b < bounds.length - 1 && t >= bounds[b + 1]!) b++
        hist[b]!++
      }
    }
    const importRows = (await this.imports.query().select(['exact_duplicates', 'token_counter']).toArray()) as Row[]
    // One name when every import counted the same way; otherwise say the counts are mixed.
    const counters = [...new Set(importRows.map((r) => String(r.token_counter)))].sort()
    const tokenCounter = counters.length > 1 ? `mixed: ${counters.join(' + ')}` : (counters[0] ?? 'estimate')
    const byCount = (m: Map<string, { documents: number; tokens: number }>) =>
      [...m].map(([key, v]) => ({ key, ...v })).sort((a, b) => b.tokens - a.tokens || a.key.localeCompare(b.key))
    return {
      documents,
      tokens,
      tokenCounter,
      languages: byCount(langs),
      sources: byCount(sources),
      qualityPass: pass,
      qualityFailures: [...fails].map(([rule, n]) => ({ rule, documents: n })).sort((a, b) => b.documents - a.documents || a.rule.localeCompare(b.rule)),
      nearDuplicates: near,
      nearDuplicateClusters: clusters.size,
      exactDuplicatesSkipped: importRows.reduce((s, r) => s + Number(r.exact_duplicates), 0),
      lengthHistogram: trimEmptyEnds(bounds.map((from, i) => ({ from, to: bounds[i + 1] ?? Infinity, documents: hist[i]! }))),
      imports: importRows.length,
    }
  }

  /** Brings the full-text and scalar indexes up to date after an import. */
  async updateIndexes(): Promise<void> {
    const existing = await this.docs.listIndices()
    const indices = new Set(existing.map((i) => i.columns.join(',')))
    // No positions: building them hangs LanceDB 0.31 past a few thousand documents, and later versions
    // crash optimize() with them. Phrases are checked on the text instead (see search()).
    for (const column of ['text', 'title']) {
      if (!indices.has(column)) await this.docs.createIndex(column, { config: lancedb.Index.fts({ withPosition: false }) })
    }
    if (!indices.has('search_cjk')) {
      await this.docs.createIndex('search_cjk', {
        config: lancedb.Index.fts({ withPosition: false, baseTokenizer: 'whitespace', lowercase: true, stem: false, removeStopWords: false, asciiFolding: false }),
      })
    }
    for (const column of ['id', 'dup_cluster', 'tokens']) if (!indices.has(column)) await this.docs.createIndex(column, { config: lancedb.Index.btree() })
    for (const column of ['lang', 'source', 'quality_pass', 'dup_status']) if (!indices.has(column)) await this.docs.createIndex(column, { config: lancedb.Index.bitmap() })
    // Below this size a flat scan answers "more like this" in milliseconds; above it, an IVF index with
    // RaBitQ codes does (a few bytes a vector: an IVF_FLAT build held every vector in memory, 1 GB at 1M
    // documents). optimize() files later rows into the trained partitions; once the table has grown well
    // past the rows they were trained on (kept in the index name), the index is trained again.
    const rows = await this.docs.countRows()
    const vector = existing.find((i) => i.columns.join(',') === 'vector')
    const trainedOn = vector?.indexType === 'IvfRq' ? Number(/^vector_rq_(\d+)$/.exec(vector.name)?.[1] ?? 0) : 0
    if (vector ? trainedOn * VECTOR_INDEX_RETRAIN_GROWTH < rows : rows >= VECTOR_INDEX_MIN_ROWS) {
      if (vector) await this.docs.dropIndex(vector.name)
      await this.docs.createIndex('vector', { name: `vector_rq_${rows}`, config: lancedb.Index.ivfRq({ distanceType: 'cosine', numPartitions: Math.round(Math.sqrt(rows)) }) })
    }
    await this.docs.optimize()
  }
}

/**
 * A full-text query: every word must occur in the title or in the text (a title match ranks higher);
 * Chinese queries match every character bigram in the CJK column (title and text together).
 */
export function textQuery(text: string): lancedb.FullTextQuery {
  if (hasCjk(text)) return new lancedb.MatchQuery(cjkBigrams(text).trim().replace(/\s+/g, ' '), 'search_cjk', { operator: lancedb.Operator.And })
  return new lancedb.MultiMatchQuery(text, ['title', 'text'], { operator: lancedb.Operator.And, boosts: [2, 1] })
}

/** CJK runs of three or more characters in a query: a two-character run is a single bigram, already exact. */
function longCjkRuns(query: string): string[] {
  return query.match(/[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]{3,}/g) ?? []
}

/** SQL string literal. */
export function sql(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

export function whereClause(f: DocFilter): string | null {
  const parts: string[] = []
  if (f.lang?.length) parts.push(`lang IN (${f.lang.map(sql).join(',')})`)
  if (f.source?.length) parts.push(`source IN (${f.source.map(sql).join(',')})`)
  if (f.quality) parts.push(`quality_pass = ${f.quality === 'pass'}`)
  if (f.failedRule) parts.push(`array_has(quality_fails, ${sql(f.failedRule)})`)
  if (f.dup) parts.push(`dup_status = ${sql(f.dup)}`)
  if (f.minTokens !== undefined) parts.push(`tokens >= ${f.minTokens}`)
  if (f.maxTokens !== undefined) parts.push(`tokens <= ${f.maxTokens}`)
  if (f.batch) parts.push(`batch = ${sql(f.batch)}`)
  return parts.length ? parts.join(' AND ') : null
}

function summary(r: Row): DocSummary {
  return {
    id: r.id as string,
    title: (r.title as string | null) ?? null,
    snippet: ((r.snippet as string) ?? '').slice(0, SNIPPET_CHARS).replace(/\s+/g, ' ').trim(),
    url: (r.url as string | null) ?? null,
    source: r.source as string,
    lang: r.lang as string,
    tokens: Number(r.tokens),
    qualityPass: Boolean(r.quality_pass),
    dupStatus: r.dup_status as DocSummary['dupStatus'],
    score: r._score === undefined ? null : Number(r._score),
  }
}

function byTokens(sort: DocSort): sort is 'tokens-desc' | 'tokens-asc' {
  return sort === 'tokens-desc' || sort === 'tokens-asc'
}

function listOf(v: unknown): string[] {
  if (!v) return []
  if (Array.isArray(v)) return v as string[]
  const maybe = v as { toArray?: () => unknown[] }
  return maybe.toArray ? (maybe.toArray() as string[]) : []
}

function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v)
}

function bump(m: Map<string, { documents: number; tokens: number }>, key: string, tokens: number): void {
  const v = m.get(key) ?? { documents: 0, tokens: 0 }
  v.documents++
  v.tokens += tokens
  m.set(key, v)
}

/** The buckets from the first non-empty one to the last. */
function trimEmptyEnds<T extends { documents: number }>(buckets: T[]): T[] {
  const first = buckets.findIndex((b) => b.documents > 0)
  if (first < 0) return []
  const last = buckets.length - 1 - [...buckets].reverse().findIndex((b) => b.documents > 0)
  return buckets.slice(first, last + 1)
}

/** Log-scale token buckets: 0, 16, 32, 64 ... 1M. */
function histogramBounds(): number[] {
  const b = [0]
  for (let x = 16; x <= 1 << 20; x *= 2) b.push(x)
  return b
}
