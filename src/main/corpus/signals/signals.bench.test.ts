// Micro-benchmark of every signal on real documents; skipped unless BENCH=1 (BENCH=1 npx vitest run src/main/corpus/signals/signals.bench.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as contentHashModule from './content-hash'
import * as embeddingModule from './embedding'
import * as languageModule from './language'
import * as minhashModule from './minhash'
import * as qualityModule from './quality'
import { HAVE_DOLMA, HAVE_ZH_HELP, chineseHelpTexts, dolmaTexts } from './test-fixtures'
import * as textStatsModule from './text-stats'

const BENCH = process.env.BENCH === '1'
const MIN_MS = 1500
const HERE = fileURLToPath(new URL('.', import.meta.url))

interface Api {
  contentHash: typeof contentHashModule.contentHash
  textStats: typeof textStatsModule.textStats
  detectLanguage: typeof languageModule.detectLanguage
  assessQuality: typeof qualityModule.assessQuality
  minhash: typeof minhashModule.minhash
  embed: typeof embeddingModule.embed
}

type Signal = (text: string) => unknown

const MODULES = ['content-hash', 'text-stats', 'language', 'quality', 'minhash', 'embedding']
const ENTRY = 'virtual:signals-bench-entry'

/**
 * The modules as the app ships them: bundled by Vite into one file (with tinyld) and loaded by Node itself.
 * Under the Vitest module runner every binding imported from another module is read through an accessor,
 * which keeps V8 from inlining the small per-character helpers and slows the scans about threefold.
 */
async function bundledApi(dir: string): Promise<Api> {
  const { build } = await import('vite')
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    root: HERE,
    ssr: { noExternal: true },
    plugins: [
      {
        name: 'signals-bench-entry',
        resolveId: (id) => (id === ENTRY ? id : null),
        load: (id) => (id === ENTRY ? MODULES.map((name) => `export * from ${JSON.stringify(join(HERE, `${name}.ts`))}`).join('\n') : null),
      },
    ],
    build: { write: false, minify: false, ssr: true, rollupOptions: { input: ENTRY, output: { format: 'cjs' } } },
  })
  const output = Array.isArray(result) ? result[0] : result
  if (output === undefined || !('output' in output)) throw new Error('vite build gave no output')
  const chunk = output.output.find((item) => item.type === 'chunk' && item.isEntry)
  if (chunk === undefined || chunk.type !== 'chunk') throw new Error('vite build gave no entry chunk')
  const file = join(dir, 'signals.cjs')
  writeFileSync(file, chunk.code)
  return createRequire(import.meta.url)(file) as Api
}

function signals(api: Api, lang: string): [string, Signal][] {
  return [
    ['contentHash', api.contentHash],
    ['textStats', api.textStats],
    ['detectLanguage', api.detectLanguage],
    [`assessQuality (lang '${lang}' given)`, (text) => api.assessQuality(text, { lang })],
    ['minhash (128)', (text) => api.minhash(text)],
    ['embed (256)', (text) => api.embed(text)],
    [
      'all, one document at a time',
      (text) => {
        const guess = api.detectLanguage(text)
        return [api.contentHash(text), api.textStats(text), api.assessQuality(text, { lang: guess.lang }), api.minhash(text), api.embed(text)]
      },
    ],
  ]
}

/** Run `signal` over all texts (one document after another, as an import does) until MIN_MS has passed. */
function measure(signal: Signal, texts: readonly string[]): number {
  for (let warm = 0; warm < 3; warm++) for (const text of texts) signal(text)
  let rounds = 0
  const start = performance.now()
  let elapsed = 0
  do {
    for (const text of texts) signal(text)
    rounds++
    elapsed = performance.now() - start
  } while (elapsed < MIN_MS)
  return elapsed / rounds
}

function report(title: string, texts: readonly string[], rows: readonly [string, Signal][]): void {
  const bytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0)
  const lines = [`${title}: ${texts.length} documents, ${(bytes / 1024).toFixed(0)} KB UTF-8`]
  lines.push(`${'signal'.padEnd(32)} ${'ms/doc'.padStart(8)} ${'ms/5KB'.padStart(8)} ${'MB/s'.padStart(8)}`)
  for (const [name, signal] of rows) {
    const ms = measure(signal, texts)
    const cells = [ms / texts.length, (ms / bytes) * 5 * 1024].map((x) => x.toFixed(3).padStart(8))
    lines.push(`${name.padEnd(32)} ${cells.join(' ')} ${(bytes / 1e6 / (ms / 1000)).toFixed(1).padStart(8)}`)
  }
  console.log(lines.join('\n'))
}

function segmenterWords(text: string): number {
  let words = 0
  for (const segment of new Intl.Segmenter('zh', { granularity: 'word' }).segment(text)) if (segment.isWordLike) words++
  return words
}

const vitestApi: Api = {
  contentHash: contentHashModule.contentHash,
  textStats: textStatsModule.textStats,
  detectLanguage: languageModule.detectLanguage,
  assessQuality: qualityModule.assessQuality,
  minhash: minhashModule.minhash,
  embed: embeddingModule.embed,
}

describe.skipIf(!BENCH)('signal cost (BENCH=1)', () => {
  let dir = ''
  let bundled: Api = vitestApi
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cpt-signals-bench-'))
    bundled = await bundledApi(dir)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.skipIf(!HAVE_DOLMA)('English web text (Dolma)', () => {
    const texts = dolmaTexts()
    report('Dolma English, bundled as in the app', texts, signals(bundled, 'en'))
    report('Dolma English, under the Vitest module runner', texts, signals(vitestApi, 'en'))
    expect(bundled.minhash(texts[0] as string)).toEqual(vitestApi.minhash(texts[0] as string))
  })

  it.skipIf(!HAVE_ZH_HELP)('Chinese help pages', () => {
    const texts = chineseHelpTexts()
    report('LibreOffice Chinese, bundled as in the app', texts, [...signals(bundled, 'zh'), ['Intl.Segmenter zh (reference)', segmenterWords]])
    expect(bundled.embed(texts[0] as string)).toEqual(vitestApi.embed(texts[0] as string))
  })
})
