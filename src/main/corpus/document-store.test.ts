// The documents table on a real LanceDB workspace: signals written by analyze(), near-duplicate
// clusters, English and Chinese search, filters, sorting, one document, "more like this", statistics.
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/helpers/temp'
import { Workspace } from '../workspace/workspace'
import { analyze } from './analyze'
import { DocumentStore } from './document-store'
import { clusterNearDuplicates } from './near-duplicates'
import { CHINESE_ARTICLE, ENGLISH_ARTICLE, changeChars, changeWords } from './signals/test-texts'
import type { RawDocument } from './types'

const tmp = tempDir()
let ws: Workspace
let store: DocumentStore

function doc(text: string, i: number, title?: string): RawDocument {
  return { text, title, format: 'jsonl', provenance: { file: '/data/sample.jsonl', line: i + 1 }, source: 'sample' }
}

const TEXTS = [
  doc(ENGLISH_ARTICLE, 0, 'Continual pre-training'),
  doc(changeWords(ENGLISH_ARTICLE, [40]), 1),
  doc(changeWords(ENGLISH_ARTICLE, [80, 120]), 2),
  doc(CHINESE_ARTICLE, 3, '持续预训练'),
  doc(changeChars(CHINESE_ARTICLE, [50]), 4),
  doc('Lorem ipsum dolor sit amet.\nLorem ipsum dolor sit amet.\nLorem ipsum dolor sit amet.', 5),
  doc('The Bradford distribution has one shape parameter c and support on the unit interval; its density is c / (k (1 + c x)) with k = log(1 + c).', 6),
]

beforeAll(async () => {
  ws = await Workspace.create(path.join(tmp.dir, 'ws'))
  store = await DocumentStore.open(ws)
  await store.add(TEXTS.map((d) => analyze(d, { fallbackSource: 'x', batch: 'b1', importedAt: '2026-11-27T00:00:00Z' })))
  await clusterNearDuplicates(store, 0.8)
  await store.updateIndexes()
})
afterAll(() => {
  store.close()
  ws.close()
  tmp.cleanup()
})

describe('DocumentStore', () => {
  it('clusters near-copies under the first document', async () => {
    const en = await store.search({ query: 'continual pre-training' }, 'relevance', 0, 10)
    const original = en.rows.find((r) => r.title === 'Continual pre-training')!
    const detail = await store.get(original.id)
    expect(detail.dupStatus).toBe('representative')
    expect(detail.dupSize).toBe(3)
    expect(detail.nearDuplicates.map((d) => d.dupStatus)).toEqual(['near-duplicate', 'near-duplicate'])
    expect(await store.count({ dup: 'near-duplicate' })).toBe(3) // two English copies, one Chinese
    expect(await store.count({ dup: 'unique' })).toBe(2)
  })

  it('finds English words in titles and text, and Chinese words', async () => {
    const en = await store.search({ query: 'Bradford distribution' }, 'relevance', 0, 10)
    expect(en.rows).toHaveLength(1)
    const zh = await store.search({ query: '数据配比' }, 'relevance', 0, 10)
    expect(zh.rows.map((r) => r.lang)).toEqual(['zh', 'zh'])
    // Every bigram of 配数据 occurs in the article, but not the word itself: confirmed on the text.
    expect((await store.search({ query: '比数据' }, 'relevance', 0, 10)).total).toBe(0)
    expect((await store.search({ query: '持续预训练' }, 'relevance', 0, 10)).rows[0]?.title).toBe('持续预训练')
  })

  it('filters by language, quality rule and token range, and sorts by tokens', async () => {
    expect(await store.count({ lang: ['zh'] })).toBe(2)
    const lorem = await store.search({ failedRule: 'c4_lorem_ipsum' }, 'imported', 0, 10)
    expect(lorem.rows.map((r) => r.snippet)).toEqual([expect.stringContaining('Lorem ipsum')])
    expect(lorem.rows[0]!.qualityPass).toBe(false)
    const byTokens = await store.search({}, 'tokens-desc', 0, 100)
    const tokens = byTokens.rows.map((r) => r.tokens)
    expect(tokens).toEqual([...tokens].sort((a, b) => b - a))
    const short = await store.search({ maxTokens: 60 }, 'imported', 0, 100)
    expect(short.rows.every((r) => r.tokens <= 60)).toBe(true)
    expect(short.total).toBe(2)
  })

  it('keeps provenance and finds more like this', async () => {
    const [first] = (await store.search({ query: 'Bradford' }, 'relevance', 0, 1)).rows
    const detail = await store.get(first!.id)
    expect(detail.provenance).toMatchObject({ file: '/data/sample.jsonl', line: 7, format: 'jsonl', batch: 'b1' })
    const zh = (await store.search({ query: '持续预训练' }, 'relevance', 0, 1)).rows[0]!
    const similar = await store.similar(zh.id, 3)
    expect(similar[0]!.lang).toBe('zh')
    expect(similar[0]!.score).toBeGreaterThan(0.9)
  })

  it('summarises the corpus', async () => {
    const stats = await store.stats()
    expect(stats.documents).toBe(7)
    expect(stats.languages.map((l) => [l.key, l.documents])).toEqual(expect.arrayContaining([['en', 4], ['zh', 2], ['la', 1]]))
    expect(stats.nearDuplicates).toBe(3)
    expect(stats.nearDuplicateClusters).toBe(2)
    expect(stats.qualityFailures.map((f) => f.rule)).toContain('c4_lorem_ipsum')
    expect(stats.lengthHistogram.reduce((s, h) => s + h.documents, 0)).toBe(7)
  })
})

describe('a Chinese phrase search whose best-ranked hit does not hold the phrase', () => {
  it('pages through the confirmed hits only, reading the rows the confirmation brought in', async () => {
    const phraseWs = await Workspace.create(path.join(tmp.dir, 'phrase-ws'))
    const phraseStore = await DocumentStore.open(phraseWs)
    try {
      // Both bigrams of 预训练, not the word: short, so it ranks first.
      const decoy = doc('预训营里的训练很好。', 0)
      const holder = doc(`${CHINESE_ARTICLE}\n我们继续预训练这个模型。`, 1)
      await phraseStore.add([decoy, holder].map((d) => analyze(d, { fallbackSource: 'x', batch: 'b1', importedAt: '2026-11-27T00:00:00Z' })))
      await phraseStore.updateIndexes()
      const ranked = (await phraseStore.search({ query: '预训 训练' }, 'relevance', 0, 2)).rows
      expect(ranked[0]!.snippet).toContain('预训营')
      const page = await phraseStore.search({ query: '预训练' }, 'relevance', 0, 1)
      expect(page.total).toBe(1)
      expect(page.rows.map((r) => r.snippet.includes('预训营'))).toEqual([false])
      expect(page.rows[0]!.score).toBeGreaterThan(0)
    } finally {
      phraseStore.close()
      phraseWs.close()
    }
  })
})
