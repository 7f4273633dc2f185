// Exports the documents matching a filter to JSONL or Parquet, streaming, with their signals and provenance.
import { createWriteStream, existsSync, promises as fs } from 'node:fs'
import path from 'node:path'
import { once } from 'node:events'
import { fileWriter, parquetWriteRows } from 'hyparquet-writer'
import type { JobInput } from '../../shared/jobs'
import { AppError } from '../../shared/errors'
import { type JobContext, type JobKindSpec, throwIfStopped } from '../jobs/worker-protocol'
import { Workspace } from '../workspace/workspace'
import { DocumentStore, whereClause } from './document-store'

type ExportInput = Extract<JobInput, { kind: 'corpus-export' }>

/** The exported columns, in order: what a training pipeline or another tool needs from each document. */
const COLUMNS = ['id', 'text', 'title', 'url', 'source', 'lang', 'chars', 'words', 'tokens', 'quality_pass', 'quality_fails', 'dup_status', 'dup_cluster', 'file', 'member', 'line', 'record', 'source_id', 'batch'] as const
type ExportRow = Record<(typeof COLUMNS)[number], unknown>

export const corpusExport: JobKindSpec<ExportInput, never> = {
  title: (input) => `Export documents to ${input.format === 'parquet' ? 'Parquet' : 'JSONL'}`,
  resumable: false,
  run: runExport,
}

async function runExport(input: ExportInput, ctx: JobContext<never>): Promise<{ out: string; documents: number; bytes: number }> {
  const ws = await Workspace.open(ctx.workspaceDir)
  const store = await DocumentStore.openIfExists(ws)
  if (!store) throw new AppError('not_found', 'This workspace has no documents yet: import a corpus first.')
  const out = path.resolve(input.out ?? path.join(ws.dir, 'exports', `${ctx.jobId}.${input.format}`))
  if (existsSync(out)) throw new AppError('conflict', `${out} already exists: choose another file name.`, { path: out })
  await fs.mkdir(path.dirname(out), { recursive: true })
  const total = input.filter.query ? null : await store.count(input.filter)
  ctx.progress({ done: 0, total, unit: 'documents', message: `Writing ${path.basename(out)}` })
  let n = 0
  const rows = async function* (): AsyncGenerator<ExportRow> {
    for await (const row of matchingRows(store, input)) {
      throwIfStopped(ctx.signal)
      n++
      if (n % 500 === 0) ctx.progress({ done: n })
      yield row
    }
  }
  const tmp = `${out}.partial`
  try {
    if (input.format === 'jsonl') await writeJsonl(tmp, rows())
    else await writeParquet(tmp, rows())
    await fs.rename(tmp, out)
  } finally {
    await fs.rm(tmp, { force: true })
    store.close()
  }
  const bytes = (await fs.stat(out)).size
  ctx.progress({ done: n, total: n, message: `${n} documents written` })
  ctx.log(`Exported ${n} documents to ${out} (${bytes} bytes)`)
  return { out, documents: n, bytes }
}

async function* matchingRows(store: DocumentStore, input: ExportInput): AsyncGenerator<ExportRow> {
  const where = whereClause(input.filter)
  const text = input.filter.query?.trim()
  if (text) {
    // Full-text matches: the same ranked set the browser shows.
    const { hits } = await store.textHits(text, where)
    for (let i = 0; i < hits.length; i += 100) {
      for (const r of await store.rowsAt(hits.slice(i, i + 100).map((h) => h.rowId), [...COLUMNS])) yield plain(r as ExportRow)
    }
    return
  }
  let q = store.docs.query().select([...COLUMNS])
  if (where) q = q.where(where)
  for await (const batch of q) {
    for (const r of batch.toArray() as unknown as ExportRow[]) yield plain(r)
  }
}

/** Arrow values as plain JSON values (lists as arrays). */
function plain(r: ExportRow): ExportRow {
  const out = {} as ExportRow
  for (const c of COLUMNS) {
    const v = (r as Record<string, unknown>)[c]
    out[c] = v && typeof v === 'object' && 'toArray' in v ? Array.from((v as { toArray(): ArrayLike<unknown> }).toArray()) : (v ?? null)
  }
  return out
}

async function writeJsonl(file: string, rows: AsyncIterable<ExportRow>): Promise<void> {
  const stream = createWriteStream(file)
  for await (const row of rows) {
    if (!stream.write(JSON.stringify(row) + '\n')) await once(stream, 'drain')
  }
  stream.end()
  await once(stream, 'finish')
}

async function writeParquet(file: string, rows: AsyncIterable<ExportRow>): Promise<void> {
  const asStrings = async function* () {
    for await (const r of rows) yield { ...r, quality_fails: JSON.stringify(r.quality_fails) }
  }
  const str = (name: string, nullable = true) => ({ name, type: 'STRING' as const, nullable })
  const int = (name: string) => ({ name, type: 'INT32' as const, nullable: true })
  await parquetWriteRows({
    writer: fileWriter(file),
    rows: asStrings(),
    rowGroupSize: 10_000,
    columns: [
      str('id', false), str('text', false), str('title'), str('url'), str('source'), str('lang'),
      int('chars'), int('words'), int('tokens'), { name: 'quality_pass', type: 'BOOLEAN' as const, nullable: true },
      str('quality_fails'), str('dup_status'), str('dup_cluster'), str('file'), str('member'), int('line'), int('record'), str('source_id'), str('batch'),
    ],
  })
}
