// Near-duplicate clustering: the bucket comparison (recall when a bucket's first document is the odd
// one out) and re-clustering a real LanceDB workspace at a stricter threshold.
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/helpers/temp'
import { Workspace } from '../workspace/workspace'
import { analyze } from './analyze'
import { DocumentStore } from './document-store'
import { MAX_BUCKET_REPRESENTATIVES, clusterNearDuplicates, joinSimilar } from './near-duplicates'
import { estimateJaccard } from './signals/minhash'
import { ENGLISH_ARTICLE, changeWords } from './signals/test-texts'

const tmp = tempDir()
afterAll(() => tmp.cleanup())

describe('joinSimilar', () => {
  it('joins two similar documents of a bucket whose first document is like neither', () => {
    const pairs = new Set(['1,2'])
    const find = joinSimilar(3, [[0, 1, 2]], (a, b) => pairs.has(`${Math.min(a, b)},${Math.max(a, b)}`))
    expect(find(1)).toBe(find(2))
    expect(find(0)).not.toBe(find(1))
    expect(find(2)).toBe(1) // the cluster's root is its first document
  })

  it('joins chains across buckets and bounds the comparisons in a large bucket', () => {
    let comparisons = 0
    const n = 1000
    const find = joinSimilar(n, [[0, 1], [1, 2], Array.from({ length: n - 3 }, (_, i) => i + 3)], (a, b) => {
      comparisons++
      return a < 3 && b < 3
    })
    expect(find(2)).toBe(0)
    expect(find(500)).toBe(500)
    expect(comparisons).toBeLessThanOrEqual(2 + (n - 3) * MAX_BUCKET_REPRESENTATIVES)
  })
})

describe('clusterNearDuplicates', () => {
  it('resets documents whose cluster is gone when re-clustered at a stricter threshold', async () => {
    const ws = await Workspace.create(path.join(tmp.dir, 'ws'))
    const store = await DocumentStore.open(ws)
    try {
      const texts = [ENGLISH_ARTICLE, changeWords(ENGLISH_ARTICLE, [90])]
      const rows = texts.map((text, i) =>
        analyze({ text, format: 'jsonl', provenance: { file: '/data/a.jsonl', line: i + 1 }, source: 's' }, { fallbackSource: 's', batch: 'b', importedAt: '2026-11-27T00:00:00Z' }),
      )
      await store.add(rows)
      const similarity = estimateJaccard(new Uint32Array(rows[0]!.minhash.slice().buffer), new Uint32Array(rows[1]!.minhash.slice().buffer))
      expect(similarity).toBeGreaterThanOrEqual(0.8)
      expect(similarity).toBeLessThan(1)

      expect(await clusterNearDuplicates(store, 0.8)).toMatchObject({ clusters: 1, nearDuplicates: 1 })
      expect((await store.get(rows[1]!.id)).dupStatus).toBe('near-duplicate')

      const strict = await clusterNearDuplicates(store, Math.min(1, similarity + 0.01))
      expect(strict).toMatchObject({ clusters: 0, nearDuplicates: 0, updated: 2 })
      for (const row of rows) expect(await store.get(row.id)).toMatchObject({ dupStatus: 'unique', dupCluster: row.id, dupSize: 1, nearDuplicates: [] })
      expect((await store.stats()).nearDuplicates).toBe(0)

      // Nothing changes on a second pass at the same threshold.
      expect((await clusterNearDuplicates(store, Math.min(1, similarity + 0.01))).updated).toBe(0)
    } finally {
      store.close()
      ws.close()
    }
  })
})
