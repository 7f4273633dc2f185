// The documents table past the size where indexes change how it is read: 50,000 rows (the vector index's
// threshold) on a real LanceDB workspace. "More like this" through the IVF_RQ index, an older IVF_FLAT index
// replaced, and listings paged deep into the table (row-id reads) equal to one long read.
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as lancedb from '@lancedb/lancedb'
import { tempDir } from '../../../test/helpers/temp'
import { Workspace } from '../workspace/workspace'
import { analyze } from './analyze'
import { DocumentStore } from './document-store'
import type { DocFilter, DocSort } from '../../shared/corpus'
import type { DocumentRow } from './document-schema'
import { Rng } from '../util/prng'
import { EMBEDDING_DIM } from './signals/embedding'

const ROWS = 50_000
const tmp = tempDir()
let ws: Workspace
let store: DocumentStore

/** Rows that differ in id, language, token count and vector; the text is shared (analysis is not under test). */
function rows(): DocumentRow[] {
  const base = analyze({ text: 'A short shared text about continual pre-training.', format: 'jsonl', provenance: { file: '/d.jsonl', line: 1 }, source: 's' }, { fallbackSource: 's', batch: 'b', importedAt: '2026-11-27T00:00:00Z' })
  const rng = new Rng(7)
  return Array.from({ length: ROWS }, (_, i) => {
    const v = Float32Array.from({ length: EMBEDDING_DIM }, () => rng.next() - 0.5)
    return { ...base, id: `doc-${String(i).padStart(6, '0')}`, dup_cluster: `doc-${i}`, lang: i % 5 === 0 ? 'zh' : 'en', tokens: (i * 7919) % 3000, line: i + 1, vector: v }
  })
}

beforeAll(async () => {
  ws = await Workspace.create(path.join(tmp.dir, 'ws'))
  store = await DocumentStore.open(ws)
  const all = rows()
  // The query document's near-copy: the same vector with a little noise.
  all[ROWS - 1] = { ...all[ROWS - 1]!, vector: all[123]!.vector.map((x, i) => x + (i % 7 === 0 ? 0.01 : 0)) }
  for (let i = 0; i < ROWS; i += 10_000) await store.add(all.slice(i, i + 10_000))
  // A workspace from before: an IVF_FLAT index, which updateIndexes() replaces.
  await store.docs.createIndex('vector', { config: lancedb.Index.ivfFlat({ distanceType: 'cosine', numPartitions: 16 }) })
  await store.updateIndexes()
}, 300_000)
afterAll(() => {
  store.close()
  ws.close()
  tmp.cleanup()
})

describe('DocumentStore at 50,000 documents', () => {
  it('answers "more like this" from an IVF_RQ index, without the document itself', async () => {
    const vector = (await store.docs.listIndices()).find((i) => i.columns[0] === 'vector')
    expect(vector).toMatchObject({ indexType: 'IvfRq', name: `vector_rq_${ROWS}` })
    const similar = await store.similar('doc-000123', 5)
    expect(similar).toHaveLength(5)
    expect(similar[0]!.id).toBe(`doc-0${ROWS - 1}`)
    expect(similar[0]!.score).toBeGreaterThan(0.99)
    expect(similar.map((s) => s.id)).not.toContain('doc-000123')
  })

  it('pages deep into filtered and sorted listings exactly as one read would', async () => {
    const cases: [DocFilter, DocSort][] = [[{}, 'imported'], [{ lang: ['zh'] }, 'imported'], [{ lang: ['en'], minTokens: 1000 }, 'tokens-desc']]
    for (const [filter, sort] of cases) {
      const first = await store.search(filter, sort, 0, 50)
      const deep = await store.search(filter, sort, 9_000, 50)
      const count = await store.count(filter)
      expect(first.total).toBe(count)
      expect(deep.total).toBe(count)
      expect(deep.rows).toHaveLength(50)
      // The same rows as a plain scan in that order.
      let q = store.docs.query().select(['id', 'tokens'])
      if (filter.lang) q = q.where(`lang = '${filter.lang[0]}'${filter.minTokens ? ` AND tokens >= ${filter.minTokens}` : ''}`)
      const scan = (await q.toArray()) as { id: string; tokens: number }[]
      if (sort === 'tokens-desc') scan.sort((a, b) => b.tokens - a.tokens)
      expect(deep.rows.map((r) => r.tokens)).toEqual(scan.slice(9_000, 9_050).map((r) => r.tokens))
      if (sort === 'imported') {
        expect(deep.rows.map((r) => r.id)).toEqual(scan.slice(9_000, 9_050).map((r) => r.id))
        expect(first.rows.map((r) => r.id)).toEqual(scan.slice(0, 50).map((r) => r.id))
      }
    }
  })

  it('reads a listing again after the table changes, and trains the vector index again only once it has grown', async () => {
    const before = await store.search({ lang: ['zh'] }, 'imported', 9_950, 50)
    expect(before.rows).toHaveLength(50)
    const more = rows().slice(0, 50).map((r, i) => ({ ...r, id: `new-${i}`, lang: 'zh' }))
    await store.add(more)
    const after = await store.search({ lang: ['zh'] }, 'imported', 9_950, 100)
    expect(after.total).toBe(before.total + 50)
    expect(after.rows.slice(-50).map((r) => r.id)).toEqual(more.map((r) => r.id))
    await store.updateIndexes()
    expect((await store.docs.listIndices()).find((i) => i.columns[0] === 'vector')?.name).toBe(`vector_rq_${ROWS}`)

    // An index trained on a quarter of the rows or fewer (its name says so) is trained again on all of them.
    await store.docs.dropIndex(`vector_rq_${ROWS}`)
    await store.docs.createIndex('vector', { name: `vector_rq_${ROWS / 5}`, config: lancedb.Index.ivfRq({ distanceType: 'cosine', numPartitions: 16 }) })
    await store.updateIndexes()
    expect((await store.docs.listIndices()).find((i) => i.columns[0] === 'vector')).toMatchObject({ indexType: 'IvfRq', name: `vector_rq_${ROWS + 50}` })
  })
})
