// The corpus from the command line on real files: import pages and Dolma JSONL/WARC, re-import adds
// nothing, search finds English and Chinese phrases, stats agree with the report, export round-trips.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli } from '../helpers/cli'
import { HAS_SHARED_DATA, SHARED_DATA } from '../helpers/shared-data'
import { tempDir } from '../helpers/temp'

interface Report {
  job: string
  files: number
  read: number
  added: number
  alreadyPresent: number
  exactDuplicates: number
  problems: number
  documents: number
  nearDuplicates: number
  problemList: { kind: string; file: string; reason: string }[]
}

describe.skipIf(!HAS_SHARED_DATA)('corpus import from the CLI (real data)', () => {
  const tmp = tempDir()
  const ws = path.join(tmp.dir, 'ws')
  const env = { CPT_STUDIO_HOME: path.join(tmp.dir, 'home') }
  const pages = path.join(SHARED_DATA, 'pages')
  const dolma = path.join(SHARED_DATA, 'corpus', 'dolma')
  let first: Report

  beforeAll(async () => {
    await cli(['workspace', 'init', ws], env)
    const r = await cli(['import', pages, dolma, '--workspace', ws, '--json'], env)
    expect(r.code, r.stderr).toBe(0)
    first = JSON.parse(r.stdout) as Report
  }, 600_000)
  afterAll(() => tmp.cleanup())

  it('imports every page and every JSONL/WARC record, with provenance', async () => {
    expect(first.added).toBeGreaterThan(168 + 20 + 697)
    expect(first.read).toBe(first.added + first.alreadyPresent + first.exactDuplicates)
    const r = await cli(['search', 'Bradford Distribution', '--workspace', ws, '--json', '--limit', '3'], env)
    const hits = JSON.parse(r.stdout) as { rows: { id: string; title: string | null }[] }
    expect(hits.rows[0]?.title).toMatch(/Bradford/)
    // The LICENSE file is text and imports; a folder of HTML pages gives one document per page.
    expect(first.files).toBeGreaterThan(200)
  })

  it('updates the search indexes in a second worker process, carrying the near-duplicate counts over', async () => {
    const log = readFileSync(path.join(ws, 'jobs', `${first.job}.log`), 'utf8')
    expect(log).toContain('The search indexes are updated in a new worker process')
    expect(log.match(/^Peak memory: \d+ MB$/gm)).toHaveLength(2)
    expect(log.match(/^Near-duplicates: /gm)).toHaveLength(1)
    // The index worker starts from the saved state: no tokenizer to load, no inputs to walk again.
    expect(log.match(/^Token counts /gm)).toHaveLength(1)
    expect(log.indexOf('Search indexes updated')).toBeGreaterThan(log.indexOf('Peak memory'))
    const stats = JSON.parse((await cli(['stats', '--workspace', ws, '--json'], env)).stdout) as { nearDuplicates: number }
    expect(first.nearDuplicates).toBe(stats.nearDuplicates)
  })

  it('labels the Chinese pages zh and finds a Chinese phrase', async () => {
    const r = await cli(['search', 'GNU/Linux 教程', '--workspace', ws, '--json'], env)
    const hits = JSON.parse(r.stdout) as { total: number; rows: { lang: string; title: string | null }[] }
    expect(hits.total).toBeGreaterThan(0)
    expect(hits.rows[0]!.lang).toBe('zh')
    const zh = JSON.parse((await cli(['search', '函数', '--workspace', ws, '--lang', 'zh', '--json'], env)).stdout) as { total: number }
    expect(zh.total).toBeGreaterThan(10)
  })

  it('reports stats that agree with the import', async () => {
    const stats = JSON.parse((await cli(['stats', '--workspace', ws, '--json'], env)).stdout) as {
      documents: number
      tokens: number
      languages: { key: string; documents: number }[]
      exactDuplicatesSkipped: number
    }
    expect(stats.documents).toBe(first.documents)
    expect(stats.documents).toBe(first.added)
    expect(stats.exactDuplicatesSkipped).toBe(first.exactDuplicates)
    expect(stats.languages.map((l) => l.key)).toEqual(expect.arrayContaining(['en', 'zh']))
    expect(stats.tokens).toBeGreaterThan(0)
    // The import left the statistics beside the database, so the app does not scan for them.
    const saved = JSON.parse(readFileSync(path.join(ws, 'corpus-stats.json'), 'utf8')) as { stats: { documents: number } }
    expect(saved.stats.documents).toBe(first.documents)
  })

  it('adds nothing when the same files are imported again, and says so', async () => {
    const r = await cli(['import', pages, dolma, '--workspace', ws, '--json'], env)
    const again = JSON.parse(r.stdout) as Report
    expect(again.added).toBe(0)
    expect(again.alreadyPresent).toBe(first.read)
    expect(again.documents).toBe(first.documents)
  }, 600_000)

  it('labels every Chinese HTML page zh, even those full of English function names', async () => {
    const out = path.join(tmp.dir, 'not-zh.jsonl')
    await cli(['export-docs', '--workspace', ws, '--lang', 'en,es,fr,de,it,cs,ko,ja', '--out', out], env)
    const files = readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { file: string }).file)
    expect(files.filter((f) => /pages\/zh\/.*\.html$/.test(f))).toEqual([])
  })

  it('exports a filtered view to Parquet that a Parquet reader reads back', async () => {
    const out = path.join(tmp.dir, 'zh.parquet')
    const r = await cli(['export-docs', '--workspace', ws, '--lang', 'zh', '--out', out, '--json'], env)
    expect(r.code, r.stderr).toBe(0)
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(out) })) as { id: string; lang: string; text: string; file: string }[]
    expect(rows.length).toBe((JSON.parse(r.stdout) as { documents: number }).documents)
    expect(rows.length).toBeGreaterThan(10)
    expect(rows.every((row) => row.lang === 'zh' && row.id.length === 32 && row.text && row.file)).toBe(true)
  })

  it('exports a searched view: the ranked hits the search shows, Chinese phrases confirmed', async () => {
    for (const query of ['GNU/Linux 教程', '函数']) {
      const search = JSON.parse((await cli(['search', query, '--workspace', ws, '--json', '--limit', '500'], env)).stdout) as { total: number; rows: { id: string }[] }
      expect(search.total).toBeGreaterThan(0)
      const out = path.join(tmp.dir, `search-${search.total}.jsonl`)
      const r = await cli(['export-docs', query, '--workspace', ws, '--out', out, '--json'], env)
      expect(r.code, r.stderr).toBe(0)
      const ids = readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)
      expect(ids).toEqual(search.rows.map((row) => row.id))
    }
  })

  it('exports the Chinese documents to JSONL', async () => {
    const out = path.join(tmp.dir, 'zh.jsonl')
    const r = await cli(['export-docs', '--workspace', ws, '--lang', 'zh', '--out', out, '--json'], env)
    expect(r.code, r.stderr).toBe(0)
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { lang: string; file: string; text: string })
    expect(lines.length).toBe((JSON.parse(r.stdout) as { documents: number }).documents)
    expect(lines.every((l) => l.lang === 'zh' && l.file && l.text)).toBe(true)
  })
})
