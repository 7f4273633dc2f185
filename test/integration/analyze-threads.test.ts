// The import analyses documents on worker threads: with 2 threads it stores exactly the rows (ids, order,
// token counts, signals) and counts of an import on 1 thread.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DocumentStore } from '../../src/main/corpus/document-store'
import { Workspace } from '../../src/main/workspace/workspace'
import { cli } from '../helpers/cli'
import { HAS_SHARED_DATA, SHARED_DATA } from '../helpers/shared-data'
import { tempDir } from '../helpers/temp'

const WORDS = 'model data training token corpus science physics chemistry biology energy matrix vector proof theorem lemma'.split(' ')
const GLUE = 'the of and to in that is with for as on'.split(' ')
const HANZI = '语言模型训练数据科学物理化学生物能量矩阵向量证明定理'
const NEAR = Array.from({ length: 300 }, (_, k) => `${WORDS[(k * 7) % WORDS.length]} ${GLUE[(k * 5) % GLUE.length]} w${k}`).join(' ')

/** Writes two JSONL files; returns how many of their lines are documents. */
function writeCorpus(dir: string): number {
  let seed = 11
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 1000) / 1000
  let good = 0
  for (const [f, docs] of [
    ['a.jsonl', 1500],
    ['b.jsonl', 700],
  ] as const) {
    const lines: string[] = []
    for (let i = 0; i < docs; i++) {
      if (i % 97 === 5) {
        lines.push('{not json')
        continue
      }
      good++
      const n = 20 + Math.floor(rnd() * 400)
      const text =
        i % 7 === 3
          ? Array.from({ length: n }, () => HANZI[Math.floor(rnd() * HANZI.length)]).join('')
          : Array.from({ length: n }, (_, k) => (k % 2 ? GLUE[Math.floor(rnd() * GLUE.length)] : WORDS[Math.floor(rnd() * WORDS.length)])).join(' ')
      // Exact copies (inside and across files), near copies and short, low-quality documents.
      const body = i % 50 === 7 ? 'The same document again, word for word.' : i % 40 === 9 ? `${NEAR} Copy ${f} ${i}.` : i % 31 === 2 ? 'ok' : `Document ${f} ${i}. ${text}.`
      lines.push(JSON.stringify({ id: `${f}-${i}`, text: body, ...(i % 3 === 0 ? { title: `Title ${i}`, url: `https://example.org/${i}` } : {}) }))
    }
    writeFileSync(path.join(dir, f), lines.join('\n') + '\n')
  }
  return good
}

const COLUMNS = ['id', 'tokens', 'lang', 'lang_conf', 'chars', 'words', 'quality_pass', 'quality_fails', 'lsh', 'minhash', 'vector', 'search_cjk', 'dup_status', 'dup_cluster', 'dup_size', 'file', 'line', 'title', 'url', 'meta']

async function rowsOf(dir: string): Promise<unknown[]> {
  const ws = await Workspace.open(dir)
  const store = await DocumentStore.open(ws)
  try {
    const rows = await store.docs.query().select(COLUMNS).toArray()
    return rows.map((r: Record<string, unknown>) => JSON.parse(JSON.stringify(Object.fromEntries(COLUMNS.map((c) => [c, toPlain(r[c])])))) as unknown)
  } finally {
    store.close()
    ws.close()
  }
}

function toPlain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v)
  if (v && typeof v === 'object' && 'toArray' in v) return Array.from((v as { toArray(): ArrayLike<unknown> }).toArray(), toPlain)
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>)
  return v
}

describe('import analysis on threads', () => {
  const tmp = tempDir()
  const env = { CPT_STUDIO_HOME: path.join(tmp.dir, 'home') }
  afterAll(() => tmp.cleanup())

  it('stores the same rows with 2 threads as with 1', async () => {
    const corpus = path.join(tmp.dir, 'corpus')
    mkdirSync(corpus)
    const docs = writeCorpus(corpus)
    const results: Record<string, unknown>[] = []
    const rows: unknown[][] = []
    for (const threads of ['1', '2']) {
      const ws = path.join(tmp.dir, `ws${threads}`)
      await cli(['workspace', 'init', ws], env)
      if (HAS_SHARED_DATA) {
        mkdirSync(path.join(ws, 'models/tokenizers/llama2'), { recursive: true })
        copyFileSync(path.join(SHARED_DATA, 'tokenizers/llama2/tokenizer.model'), path.join(ws, 'models/tokenizers/llama2/tokenizer.model'))
      }
      const r = await cli(['import', corpus, '--workspace', ws, '--json'], { ...env, CPT_STUDIO_ANALYZE_THREADS: threads })
      expect(r.code, r.stderr).toBe(0)
      const { batch: _batch, job: _job, problemsFile: _file, ...result } = JSON.parse(r.stdout) as Record<string, unknown>
      results.push(result)
      rows.push(await rowsOf(ws))
      const log = readdirSync(path.join(ws, 'jobs')).find((f) => f.endsWith('.log'))!
      const text = readFileSync(path.join(ws, 'jobs', log), 'utf8')
      expect(text).toContain(`Analysing on ${threads} thread`)
      if (HAS_SHARED_DATA) expect(text).toContain('Token counts with tokenizer.model')
    }
    expect(results[0]).toMatchObject({ read: docs, exactDuplicates: expect.any(Number) as number })
    expect((results[0] as { problems: number }).problems).toBeGreaterThan(0)
    expect((results[0] as { nearDuplicates: number }).nearDuplicates).toBeGreaterThan(0)
    expect(results[1]).toEqual(results[0])
    expect(rows[0]!.length).toBe((results[0] as { added: number }).added)
    expect(rows[1]).toEqual(rows[0])
  }, 300_000)
})
