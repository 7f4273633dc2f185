// The corpus import job: streams every input through the readers, computes each document's signals,
// writes new documents in batches, then clusters near-duplicates and updates the indexes.
// Resumable after kill -9: the saved state names the finished files and how many records of the
// current file are stored; ids are content hashes, so anything re-read is recognised, never duplicated.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import type { JobInput } from '../../shared/jobs'
import { ContinueInNewProcess, type JobContext, type JobKindSpec, throwIfStopped } from '../jobs/worker-protocol'
import { Workspace } from '../workspace/workspace'
import { workspaceTokenizerPath } from '../tokenizer/workspace-tokenizer'
import { peakMemoryMB } from '../util/peak-memory'
import { type Analyzer, openAnalyzer } from './analyze-pool'
import { loadTokenCounter } from './token-counter'
import type { DocumentRow } from './document-schema'
import { DocumentStore } from './document-store'
import { clusterNearDuplicates } from './near-duplicates'
import { saveStats, statsVersion } from './stats-cache'
import { type InputFile, walkInputs } from './readers/inputs'
import { readInput } from './readers/read-input'
import type { ImportProblem, RawDocument } from './types'

type ImportInput = Extract<JobInput, { kind: 'corpus-import' }>

/**
 * Rows per LanceDB write. Every write is a table version whose manifest lists all fragments, and
 * LanceDB keeps them in memory, so 500-row writes grew a 2 GB import past 1.4 GB of RSS; larger
 * writes hold more rows in flight (5,000 peaked higher than 2,500; BENCHMARKS.md). Resume granularity is one batch.
 */
const BATCH_ROWS = 2_500
const BATCH_CHARS = 32_000_000
/**
 * Documents go to the analysis threads in chunks of this many documents or characters, and at most
 * CHUNKS_PER_THREAD chunks per thread are in flight: the reader runs that far ahead of the writer, no further.
 */
const CHUNK_DOCS = 256
const CHUNK_CHARS = 1_000_000
const CHUNKS_PER_THREAD = 2
/** Problems kept in the job result; all of them go to jobs/<id>.problems.jsonl. */
const RESULT_PROBLEMS = 200

const Counts = z.object({
  files: z.number(),
  read: z.number(),
  added: z.number(),
  alreadyPresent: z.number(),
  exactDuplicates: z.number(),
  problems: z.number(),
  bytes: z.number(),
})
type Counts = z.infer<typeof Counts>

const State = z.object({
  batch: z.string(),
  startedAt: z.string(),
  done: z.array(z.string()),
  current: z.object({ key: z.string(), records: z.number() }).nullable(),
  counts: Counts,
  phase: z.enum(['read', 'dedup', 'index']),
  /** The token counter's name (a tokenizer file, or "estimate"), recorded with the import. */
  tokenCounter: z.string().optional(),
  /** The near-duplicate pass's result, once it has run. */
  near: z.object({ clusters: z.number(), nearDuplicates: z.number() }).optional(),
})
type State = z.infer<typeof State>

export interface ImportResult extends Counts {
  batch: string
  nearDuplicates: number
  nearDuplicateClusters: number
  problemList: ImportProblem[]
  problemsFile: string
  documents: number
}

export const corpusImport: JobKindSpec<ImportInput, State> = {
  title: (input) => `Import ${input.source ?? (input.paths.length === 1 ? path.basename(input.paths[0]!) : `${input.paths.length} paths`)}`,
  resumable: true,
  run: runImport,
}

function inputKey(i: { file: string; member?: string }): string {
  return i.member ? `${i.file}!${i.member}` : i.file
}

async function runImport(input: ImportInput, ctx: JobContext<State>): Promise<ImportResult> {
  const ws = await Workspace.open(ctx.workspaceDir)
  const store = await DocumentStore.open(ws)
  const saved = State.safeParse(ctx.state)
  const state: State = saved.success
    ? saved.data
    : { batch: ctx.jobId, startedAt: new Date().toISOString(), done: [], current: null, phase: 'read', counts: { files: 0, read: 0, added: 0, alreadyPresent: 0, exactDuplicates: 0, problems: 0, bytes: 0 } }
  const startPhase = state.phase
  const problemsFile = path.join(ws.folder('jobs'), `${state.batch}.problems.jsonl`)
  const problems = await ProblemLog.open(problemsFile)
  if (state.phase === 'read') await readInputs(input, ctx, ws, store, state, problems, saved.success)
  state.counts.problems = problems.count
  // Every input is read by now: its bytes are the job's total.
  const totalBytes = state.counts.bytes

  if (state.phase === 'dedup' || !state.near) {
    ctx.progress({ done: totalBytes, total: totalBytes, unit: 'bytes', message: 'Finding near-duplicates' })
    const t0 = performance.now()
    const near = await clusterNearDuplicates(store, input.nearDupThreshold, ctx.signal)
    ctx.log(`Near-duplicates: ${near.nearDuplicates} documents in ${near.clusters} clusters (threshold ${input.nearDupThreshold}, ${seconds(t0)})`)
    state.near = { clusters: near.clusters, nearDuplicates: near.nearDuplicates }
    state.phase = 'index'
    await ctx.saveState(state)
  }
  if (startPhase !== 'index') {
    // This process keeps what the read phase allocated (LanceDB's writes: native pages freed but not
    // returned); compaction and the index builds need about 1.2 GB more at 1M documents. In a new
    // process the two peaks do not add up.
    ctx.log('The search indexes are updated in a new worker process')
    store.close()
    throw new ContinueInNewProcess()
  }
  ctx.progress({ done: totalBytes, total: totalBytes, unit: 'bytes', message: 'Updating search indexes' })
  const t0 = performance.now()
  await store.updateIndexes()
  ctx.log(`Search indexes updated (${seconds(t0)})`)
  const documents = await store.count()
  await store.recordImport({
    batch: state.batch,
    started_at: state.startedAt,
    finished_at: new Date().toISOString(),
    paths: JSON.stringify(input.paths),
    source: input.source ?? '',
    files: state.counts.files,
    documents_read: state.counts.read,
    added: state.counts.added,
    already_present: state.counts.alreadyPresent,
    exact_duplicates: state.counts.exactDuplicates,
    problems: state.counts.problems,
    bytes: state.counts.bytes,
    // States saved before the counter's name was kept load it again.
    token_counter: state.tokenCounter ?? (await loadTokenCounter(() => workspaceTokenizerPath(ws.dir))).name,
  })
  ctx.progress({ done: totalBytes, total: totalBytes, message: 'Computing corpus statistics' })
  await saveStats(ws, await statsVersion(store), await store.stats())
  store.close()
  const c = state.counts
  ctx.log(`Read ${c.read} documents from ${c.files} files: ${c.added} added, ${c.alreadyPresent} already in the workspace, ${c.exactDuplicates} exact duplicates, ${c.problems} problems`)
  ctx.progress({ done: totalBytes, total: totalBytes, message: c.added ? `${c.added} documents added` : 'Nothing new: every document was already in the workspace' })
  return {
    ...c,
    batch: state.batch,
    nearDuplicates: state.near.nearDuplicates,
    nearDuplicateClusters: state.near.clusters,
    problemList: problems.first,
    problemsFile,
    documents,
  }
}

/**
 * The read phase: every input through the readers and the analysis threads, new documents written in
 * batches, the state saved after each; ends by moving the state to the near-duplicate phase.
 */
async function readInputs(input: ImportInput, ctx: JobContext<State>, ws: Workspace, store: DocumentStore, state: State, problems: ProblemLog, resumed: boolean): Promise<void> {
  const done = new Set(state.done)
  const counter = await loadTokenCounter(() => workspaceTokenizerPath(ws.dir))
  ctx.log(counter.problem ? `Token counts are estimates: ${counter.problem}` : `Token counts with ${counter.name}`)
  state.tokenCounter = counter.name

  // First pass: what there is to read, for a byte total (cheap: no file is opened but archives).
  const inputs: InputFile[] = []
  for await (const item of walkInputs(input.paths)) {
    if ('open' in item) inputs.push(item)
    else await problems.add(item)
  }
  const totalBytes = inputs.reduce((s, i) => s + i.size, 0)
  let doneBytes = inputs.filter((i) => done.has(inputKey(i))).reduce((s, i) => s + i.size, 0)
  ctx.progress({ done: doneBytes, total: totalBytes, unit: 'bytes', message: `${inputs.length} files to read` })
  if (resumed) ctx.log(`Resuming: ${done.size} of ${inputs.length} files done, ${state.counts.added} documents added so far`)

  const t0 = performance.now()
  // Ids stored before this import, and ids this import has added: an exact duplicate of either is skipped.
  const stored = await store.ids()
  const added = new Set<string>()
  const analyzer: Analyzer = openAnalyzer(counter)
  ctx.log(analyzer.threads ? `Analysing on ${analyzer.threads} thread${analyzer.threads === 1 ? '' : 's'}` : 'Analysing on the job thread (the analysis thread entry is not built)')
  const maxInFlight = CHUNKS_PER_THREAD * Math.max(1, analyzer.threads)
  try {
    for (const file of inputs) {
      const key = inputKey(file)
      if (done.has(key)) continue
      throwIfStopped(ctx.signal)
      const skip = state.current?.key === key ? state.current.records : 0
      let records = 0
      let batch: DocumentRow[] = []
      let batchChars = 0
      let fileBytes = 0
      // One write in flight while the next batch is analysed: LanceDB writes on its own threads, so the
      // import keeps both cores busy. The state names a batch only once its write has finished.
      let writing: Promise<void> = Promise.resolve()
      const flush = async (upTo: number) => {
        await writing
        const rows = batch
        batch = []
        batchChars = 0
        writing = store.add(rows).then(async () => {
          state.counts.added += rows.length
          state.current = { key, records: upTo }
          await ctx.saveState(state)
        })
      }
      const actx = { ...(input.source !== undefined ? { source: input.source } : {}), fallbackSource: defaultSource(input.paths, file.file), batch: state.batch, importedAt: state.startedAt }
      // Chunks being analysed, in reading order: each document's rows are taken in that order, so ids,
      // duplicates and the resume point (the record number of the last document taken) are as if analysed here.
      const inFlight: { rows: Promise<DocumentRow[]>; records: number[] }[] = []
      let chunk: RawDocument[] = []
      let chunkRecords: number[] = []
      let chunkChars = 0
      let taken = skip
      const take = async (next: { rows: Promise<DocumentRow[]>; records: number[] }) => {
        const rows = await next.rows
        for (let i = 0; i < rows.length; i++) {
          const row = rows[i]!
          taken = next.records[i]!
          state.counts.read++
          if (added.has(row.id)) {
            state.counts.exactDuplicates++
            continue
          }
          if (stored.has(row.id)) {
            state.counts.alreadyPresent++
            continue
          }
          added.add(row.id)
          batch.push(row)
          batchChars += row.text.length
          if (batch.length >= BATCH_ROWS || batchChars >= BATCH_CHARS) await flush(taken)
        }
      }
      const send = async () => {
        if (!chunk.length) return
        const rows = analyzer.analyze(chunk, actx)
        rows.catch(() => {}) // awaited in take(); unawaited ones after a stop or an error must not be unhandled
        inFlight.push({ rows, records: chunkRecords })
        chunk = []
        chunkRecords = []
        chunkChars = 0
        while (inFlight.length >= maxInFlight) await take(inFlight.shift()!)
      }
      for await (const item of readInput(file, { textField: input.textField, maxChars: input.maxChars, signal: ctx.signal }, (n) => {
        fileBytes += n
        const c = state.counts
        ctx.progress({
          done: doneBytes + Math.min(fileBytes, file.size),
          message: `File ${done.size + 1} of ${inputs.length}: ${path.basename(file.member ?? file.file)} · ${c.read.toLocaleString('en-US')} documents read, ${c.added.toLocaleString('en-US')} added`,
        })
      })) {
        if (item.type === 'problem') {
          if (records >= skip) await problems.add(item.problem)
          continue
        }
        records++
        if (records <= skip) continue
        chunk.push(item.doc)
        chunkRecords.push(records)
        chunkChars += item.doc.text.length
        if (chunk.length >= CHUNK_DOCS || chunkChars >= CHUNK_CHARS) await send()
      }
      if (ctx.signal.aborted) {
        // Stopped: store what was taken, drop what is still being analysed (the resume reads it again).
        await flush(taken)
      } else {
        await send()
        while (inFlight.length) await take(inFlight.shift()!)
        await flush(records)
      }
      await writing
      throwIfStopped(ctx.signal)
      doneBytes += file.size
      state.counts.files++
      state.counts.bytes += file.size
      state.done.push(key)
      done.add(key)
      state.current = null
      await ctx.saveState(state)
    }
  } finally {
    await analyzer.close()
  }
  state.phase = 'dedup'
  await ctx.saveState(state)
  ctx.log(`Read and stored ${state.counts.added} new documents (${seconds(t0)})`)
}

/** The source name when none is given: the first folder or file named in the import, without extension. */
function defaultSource(paths: string[], file: string): string {
  const root = paths.find((p) => file === p || file.startsWith(p.endsWith(path.sep) ? p : p + path.sep)) ?? file
  return path.basename(root).replace(/\.[^.]+$/, '') || 'import'
}

/** Problems appended to a JSONL file, deduplicated by place, so a resumed import does not repeat them. */
class ProblemLog {
  readonly first: ImportProblem[] = []
  private readonly seen = new Set<string>()
  private constructor(private readonly file: string) {}

  get count(): number {
    return this.seen.size
  }

  static async open(file: string): Promise<ProblemLog> {
    const text = await fs.readFile(file, 'utf8').catch(() => '')
    const log = new ProblemLog(file)
    for (const line of text.split('\n')) {
      if (!line) continue
      try {
        const p = JSON.parse(line) as ImportProblem
        log.seen.add(problemKey(p))
        if (log.first.length < RESULT_PROBLEMS) log.first.push(p)
      } catch {
        // a torn last line from a kill: the problem is found again on this run
      }
    }
    return log
  }

  async add(p: ImportProblem): Promise<void> {
    const key = problemKey(p)
    if (this.seen.has(key)) return
    this.seen.add(key)
    if (this.first.length < RESULT_PROBLEMS) this.first.push(p)
    await fs.appendFile(this.file, JSON.stringify(p) + '\n')
  }
}

/** A phase's time, and the worker's memory now and at its peak so far (which phase set the job's peak). */
function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s; memory now ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB, peak so far ${peakMemoryMB()} MB`
}

function problemKey(p: ImportProblem): string {
  return [p.kind, p.file, p.member, p.line, p.record, p.offset].join('|')
}
