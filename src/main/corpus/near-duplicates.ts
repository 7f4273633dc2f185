// Near-duplicate clusters over the whole corpus: documents sharing an LSH band are candidates,
// verified by their MinHash estimate, joined by union-find. Memory stays flat: only the band keys
// (a few int32 per document) are held, sorted per band to find collisions.
import type { DocumentStore } from './document-store'
import { sql } from './document-store'
import { throwIfStopped } from '../jobs/worker-protocol'
import { estimateJaccard } from './signals/minhash'

export interface NearDupResult {
  clusters: number
  nearDuplicates: number
  updated: number
}

export async function clusterNearDuplicates(store: DocumentStore, threshold: number, signal?: AbortSignal): Promise<NearDupResult> {
  const ids: string[] = []
  const current: string[] = [] // "status|cluster|size" as stored, to write only what changes
  const bandCols: number[][] = []
  for await (const batch of store.docs.query().select(['id', 'lsh', 'dup_status', 'dup_cluster', 'dup_size'])) {
    const [idCol, lshCol, st, cl, sz] = ['id', 'lsh', 'dup_status', 'dup_cluster', 'dup_size'].map((c) => batch.getChild(c)!)
    for (let i = 0; i < batch.numRows; i++) {
      const keys = lshCol!.get(i) as { toArray(): Int32Array } | null
      const arr = keys ? keys.toArray() : new Int32Array(0)
      const doc = ids.length
      ids.push(idCol!.get(i) as string)
      current.push(`${st!.get(i)}|${cl!.get(i)}|${sz!.get(i)}`)
      for (let b = 0; b < arr.length; b++) (bandCols[b] ??= []).push(arr[b]!, doc)
    }
    if (signal) throwIfStopped(signal)
  }
  const buckets = candidateBuckets(bandCols)
  const inBuckets = new Set<number>()
  for (const bucket of buckets) for (const d of bucket) inBuckets.add(d)
  const signatures = await loadSignatures(store, [...inBuckets].map((d) => ids[d]!))
  const find = joinSimilar(ids.length, buckets, (a, b) => {
    const sa = signatures.get(ids[a]!)
    const sb = signatures.get(ids[b]!)
    return !!sa && !!sb && estimateJaccard(sa, sb) >= threshold
  })
  const groups = new Map<number, number[]>()
  for (const d of inBuckets) {
    const r = find(d)
    const list = groups.get(r)
    if (list) list.push(d)
    else groups.set(r, [d])
  }
  const result: NearDupResult = { clusters: 0, nearDuplicates: 0, updated: 0 }
  const clustered = new Set<number>()
  for (const [root, list] of groups) {
    if (list.length < 2) continue
    const all = list.sort((a, b) => a - b)
    for (const d of all) clustered.add(d)
    result.clusters++
    result.nearDuplicates += all.length - 1
    const cluster = ids[root]!
    const want = (d: number) => `${d === root ? 'representative' : 'near-duplicate'}|${cluster}|${all.length}`
    const changed = all.filter((d) => current[d] !== want(d))
    if (!changed.length) continue
    if (changed.includes(root)) {
      await store.docs.update({ where: `id = ${sql(cluster)}`, values: { dup_status: 'representative', dup_cluster: cluster, dup_size: all.length } })
    }
    await updateEach(store, changed.filter((d) => d !== root).map((d) => ids[d]!), { values: { dup_status: 'near-duplicate', dup_cluster: cluster, dup_size: all.length } })
    result.updated += changed.length
  }
  // Documents clustered by an earlier pass (a lower threshold, or copies since changed) that no longer are.
  const stale = ids.map((_, d) => d).filter((d) => !clustered.has(d) && !current[d]!.startsWith('unique|'))
  await updateEach(store, stale.map((d) => ids[d]!), { valuesSql: { dup_status: "'unique'", dup_cluster: 'id', dup_size: '1' } })
  result.updated += stale.length
  return result
}

/** Sets these values (or SQL expressions) on the documents with these ids, 500 at a time. */
async function updateEach(store: DocumentStore, ids: string[], set: { values: Record<string, string | number> } | { valuesSql: Record<string, string> }): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const where = `id IN (${ids.slice(i, i + 500).map(sql).join(',')})`
    await ('values' in set ? store.docs.update({ where, values: set.values }) : store.docs.update({ where, valuesSql: set.valuesSql }))
  }
}

/** Documents whose keys are equal in a band, one list per band and key (lists of two or more). */
function candidateBuckets(bandCols: number[][]): number[][] {
  const buckets: number[][] = []
  for (const col of bandCols) {
    const n = col.length / 2
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => col[2 * a]! - col[2 * b]!)
    for (let i = 0; i < n; ) {
      let j = i + 1
      while (j < n && col[2 * order[j]!] === col[2 * order[i]!]) j++
      if (j - i > 1) buckets.push(order.slice(i, j).map((k) => col[2 * k + 1]!))
      i = j
    }
  }
  return buckets
}

/** A bucket compares each document with at most this many of its earlier, mutually dissimilar members. */
export const MAX_BUCKET_REPRESENTATIVES = 64

/**
 * Joins similar documents of each bucket into clusters (union-find) and returns the root finder; a
 * cluster's root is its first document. Each document is compared with the bucket's representatives,
 * the earlier members that matched none before them, so two similar documents meet even when the
 * bucket's first document is like neither; pairs already in one cluster are not compared again.
 */
export function joinSimilar(n: number, buckets: number[][], similar: (a: number, b: number) => boolean): (d: number) => number {
  const parent = Array.from({ length: n }, (_, i) => i)
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!
    return x
  }
  for (const bucket of buckets) {
    const reps: number[] = []
    for (const d of bucket) {
      let joined = false
      for (const r of reps) {
        const rr = find(r)
        const rd = find(d)
        if (rr === rd) joined = true
        else if (similar(d, r)) {
          parent[Math.max(rr, rd)] = Math.min(rr, rd)
          joined = true
        }
      }
      if (!joined && reps.length < MAX_BUCKET_REPRESENTATIVES) reps.push(d)
    }
  }
  return find
}

async function loadSignatures(store: DocumentStore, ids: string[]): Promise<Map<string, Uint32Array>> {
  const out = new Map<string, Uint32Array>()
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000)
    const rows = (await store.docs.query().where(`id IN (${chunk.map(sql).join(',')})`).select(['id', 'minhash']).toArray()) as { id: string; minhash: Uint8Array }[]
    // Copy: the Arrow buffer's offset need not be 4-byte aligned.
    for (const r of rows) out.set(r.id, new Uint32Array(new Uint8Array(r.minhash).slice().buffer))
  }
  return out
}
