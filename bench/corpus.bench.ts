// `npm run bench:corpus`: import throughput (JSONL and HTML, every signal on), peak memory while
// importing a multi-gigabyte JSONL, and search latency (full text, filters, vectors) at two corpus sizes.
// BENCH_DOCS (default 1,000,000) sets the size; BENCH_DIR where the corpus and workspaces go; BENCH_TOKENIZER the
// workspace tokenizer that counts tokens (default: the Llama-2 tokenizer.model in ../shared/data; "none": estimates);
// BENCH_LABEL a suffix for the result files.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { it } from 'vitest'
import { DocumentStore } from '../src/main/corpus/document-store'
import { Workspace } from '../src/main/workspace/workspace'
import { BIN } from '../test/helpers/cli'
import { SHARED_DATA } from '../test/helpers/shared-data'
import { writeSyntheticCorpus } from './synthetic-corpus'

const DOCS = Number(process.env.BENCH_DOCS ?? 1_000_000)
const FIRST = Math.min(100_000, Math.floor(DOCS / 10))
const DIR = process.env.BENCH_DIR ?? path.join(os.tmpdir(), 'cpt-bench')
const env = { ...process.env, CPT_STUDIO_HOME: path.join(DIR, 'home') }
/** Appended to the result files' names, to keep two runs of one day apart. */
const LABEL = process.env.BENCH_LABEL ? `-${process.env.BENCH_LABEL}` : ''
const TOKENIZER = process.env.BENCH_TOKENIZER ?? path.join(SHARED_DATA, 'tokenizers/llama2/tokenizer.model')
const COUNTER = TOKENIZER !== 'none' && existsSync(TOKENIZER) ? 'tokenizer' : 'estimate'

/** A fresh workspace, with the benchmark's tokenizer as its default one. */
function initWorkspace(ws: string): void {
  rmSync(ws, { recursive: true, force: true })
  cli(['workspace', 'init', ws])
  if (COUNTER === 'tokenizer') {
    mkdirSync(path.join(ws, 'models/tokenizers/llama2'), { recursive: true })
    copyFileSync(TOKENIZER, path.join(ws, 'models/tokenizers/llama2/tokenizer.model'))
  }
}

function cli(args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, [BIN, ...args, '--json'], { env, maxBuffer: 1 << 28 }).toString())
}

/** Imports and reports throughput and the import's peak memory (from the job's log). */
function timedImport(ws: string, paths: string[]): { seconds: number; mb: number; docs: number; mbPerS: number; docsPerS: number; peakMB: number } {
  const bytes = paths.reduce((s, p) => s + sizeOf(p), 0)
  const t0 = performance.now()
  const r = cli(['import', ...paths, '--workspace', ws]) as { read: number; job: string }
  const seconds = (performance.now() - t0) / 1000
  const log = readFileSync(path.join(ws, 'jobs', `${r.job}.log`), 'utf8')
  // The largest peak of the job's workers (the index update runs in a worker of its own).
  const peaks = [...log.matchAll(/Peak memory: (\d+) MB/g)].map((m) => Number(m[1]))
  const peakMB = peaks.length ? Math.max(...peaks) : NaN
  return { seconds, mb: bytes / 1e6, docs: r.read, mbPerS: bytes / 1e6 / seconds, docsPerS: r.read / seconds, peakMB }
}

function sizeOf(p: string): number {
  const st = statSync(p)
  if (!st.isDirectory()) return st.size
  return readdirSync(p, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).reduce((s, e) => s + statSync(path.join(e.parentPath, e.name)).size, 0)
}

async function latencies(ws: string): Promise<Record<string, { first: number; p50: number; p95: number; n: number } | { recall: number; n: number }>> {
  const workspace = await Workspace.open(ws)
  const store = await DocumentStore.open(workspace)
  const en = ['model training', 'energy', 'university students', 'water quality', 'history of the city', 'software update', 'health care', 'market price']
  const zh = ['明月', '故乡', '人生', '朋友', '天下', '春风', '君子', '自然']
  const ids = (await store.search({}, 'imported', 0, 50)).rows.map((r) => r.id)
  // Phrases of four Chinese characters taken from stored documents: confirmed on the text of the hits.
  const zhSnippets = (await store.search({ lang: ['zh'] }, 'imported', 0, 40)).rows.map((r) => r.snippet)
  const zhPhrases = zhSnippets.map((s) => /[\u4e00-\u9fff]{4}/.exec(s)?.[0]).filter((p): p is string => !!p).slice(0, 8)
  const cases: Record<string, (i: number) => Promise<unknown>> = {
    'full text (English)': (i) => store.search({ query: en[i % en.length] }, 'relevance', 0, 50),
    'full text (Chinese)': (i) => store.search({ query: zh[i % zh.length] }, 'relevance', 0, 50),
    'full text (Chinese, 4-character phrases)': (i) => store.search({ query: zhPhrases[i % zhPhrases.length] }, 'relevance', 0, 50),
    'filters (lang + quality + tokens), page 1': () => store.search({ lang: ['zh'], quality: 'pass', minTokens: 100, maxTokens: 5000 }, 'imported', 0, 50),
    'filters, deep page (offset 50,000)': () => store.search({ lang: ['en'] }, 'imported', 50_000, 50),
    'full text + filter': (i) => store.search({ query: en[i % en.length], quality: 'pass' }, 'relevance', 0, 50),
    'vector (more like this)': (i) => store.similar(ids[i % ids.length]!, 10),
  }
  const out: Record<string, { first: number; p50: number; p95: number; n: number } | { recall: number; n: number }> = {}
  for (const [name, run] of Object.entries(cases)) {
    // The first query is reported on its own: it loads indexes and fills the per-version caches
    // (a deep page reads the listing's row ids once) that the 40 timed queries then use.
    const t0 = performance.now()
    await run(0)
    const first = performance.now() - t0
    const times: number[] = []
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now()
      await run(i)
      times.push(performance.now() - t0)
    }
    times.sort((a, b) => a - b)
    out[name] = { first, p50: times[Math.floor(times.length * 0.5)]!, p95: times[Math.floor(times.length * 0.95)]!, n: times.length }
  }
  out['vector recall@10 against exact search'] = await vectorRecall(store, ids.slice(0, 20))
  store.close()
  workspace.close()
  return out
}

/** Mean share of the exact 10 nearest neighbours (a flat cosine scan) that "more like this" returns. */
async function vectorRecall(store: DocumentStore, ids: string[]): Promise<{ recall: number; n: number }> {
  let sum = 0
  for (const id of ids) {
    const [row] = (await store.docs.query().where(`id = '${id}'`).select(['vector']).limit(1).toArray()) as { vector: ArrayLike<number> }[]
    const exact = (await store.docs.query().nearestTo(Array.from(row!.vector)).distanceType('cosine').bypassVectorIndex().select(['id']).limit(11).toArray()) as { id: string }[]
    const want = new Set(exact.map((r) => r.id).filter((x) => x !== id).slice(0, 10))
    sum += (await store.similar(id, 10)).filter((r) => want.has(r.id)).length / want.size
  }
  return { recall: sum / ids.length, n: ids.length }
}

// BENCH_STAGE=latency measures search latency again on the workspace a full run left (after a search change).
it.runIf(process.env.BENCH_STAGE === 'latency')('measures search latency on the existing workspace', async () => {
  const ws = path.join(DIR, 'ws')
  const out = path.join(__dirname, 'results', `corpus-latency-${new Date().toISOString().slice(0, 10)}-${DOCS}${LABEL}.json`)
  const result = { date: new Date().toISOString(), docs: DOCS, ...(await latencies(ws)) }
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
  console.log(JSON.stringify(result, null, 2))
})

it.runIf(process.env.BENCH_STAGE !== 'latency')('benchmarks the corpus pipeline', async () => {
  mkdirSync(DIR, { recursive: true })
  const first = path.join(DIR, `corpus-first-${FIRST}.jsonl`)
  const rest = path.join(DIR, `corpus-rest-${DOCS - FIRST}.jsonl`)
  if (!existsSync(first)) await writeSyntheticCorpus(first, FIRST, { sharedData: SHARED_DATA, seed: 1 })
  if (!existsSync(rest)) await writeSyntheticCorpus(rest, DOCS - FIRST, { sharedData: SHARED_DATA, seed: 2, start: FIRST })
  const ws = path.join(DIR, 'ws')
  initWorkspace(ws)

  const results: Record<string, unknown> = { date: new Date().toISOString(), machine: `${os.cpus().length} x ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`, docs: DOCS, tokenCounts: COUNTER === 'tokenizer' ? TOKENIZER : 'estimate' }
  const out = path.join(__dirname, 'results', `corpus-${new Date().toISOString().slice(0, 10)}-${DOCS}-${COUNTER}${LABEL}.json`)
  mkdirSync(path.dirname(out), { recursive: true })
  // Saved after every stage, so a long run that is stopped still leaves what it measured.
  const save = (key: string, value: unknown) => {
    results[key] = value
    writeFileSync(out, JSON.stringify(results, null, 2) + '\n')
    console.log(key, JSON.stringify(value, null, 2))
  }
  if (existsSync(path.join(SHARED_DATA, 'pages'))) {
    const html = path.join(DIR, 'ws-html')
    initWorkspace(html)
    save('importHtml', timedImport(html, [path.join(SHARED_DATA, 'pages')]))
  }
  save('importFirst', timedImport(ws, [first]))
  save('latencySmall', { docs: FIRST, ...(await latencies(ws)) })
  save('importRest', timedImport(ws, [rest]))
  save('latencyLarge', { docs: DOCS, ...(await latencies(ws)) })
}, 6 * 3600_000)
