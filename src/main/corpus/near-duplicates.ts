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
  const candidates = candidatePairs(bandCols)
  const inPairs = new Set<number>()
  for (const [a, b] of candidates) inPairs.add(a).add(b)
  const signatures = await loadSignatures(store, [...inPairs].map((d) => ids[d]!))
  const parent = ids.map((_, i) => i)
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!
    return x
  }
  for (const [a, b] of candidates) {
    const sa = signatures.get(ids[a]!)
    const sb = signatures.get(ids[b]!)
    if (!sa || !sb || estimateJaccard(sa, sb) < threshold) continue
    const ra = find(a)
    const rb = find(b)
    // The root is the smaller index: the first imported document represents its cluster.
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
  const groups = new Map<number, number[]>()
  for (const d of inPairs) {
    const r = find(d)
    const list = groups.get(r)
    if (list) list.push(d)
    else groups.set(r, [d])
  }
  const result: NearDupResult = { clusters: 0, nearDuplicates: 0, updated: 0 }
  for (const [root, list] of groups) {
    const all = [...new Set([root, ...list])].sort((a, b) => a - b)
    if (all.length < 2) continue
    result.clusters++
    result.nearDuplicates += all.length - 1
    const cluster = ids[root]!
    const want = (d: number) => `${d === root ? 'representative' : 'near-duplicate'}|${cluster}|${all.length}`
    const changed = all.filter((d) => current[d] !== want(d))
    if (!changed.length) continue
    if (changed.includes(root)) {
      await store.docs.update({ where: `id = ${sql(cluster)}`, values: { dup_status: 'representative', dup_cluster: cluster, dup_size: all.length } })
    }
    const others = changed.filter((d) => d !== root).map((d) => ids[d]!)
    for (let i = 0; i < others.length; i += 500) {
      const chunk = others.slice(i, i + 500)
      await store.docs.update({ where: `id IN (${chunk.map(sql).join(',')})`, values: { dup_status: 'near-duplicate', dup_cluster: cluster, dup_size: all.length } })
    }
    result.updated += changed.length
  }
  return result
}

/** Pairs of documents whose keys are equal in at least one band (each pair once, smaller index first). */
function candidatePairs(bandCols: number[][]): [number, number][] {
  const seen = new Set<string>()
  const pairs: [number, number][] = []
  for (const col of bandCols) {
    const n = col.length / 2
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => col[2 * a]! - col[2 * b]!)
    for (let i = 0; i < n; ) {
      let j = i + 1
      while (j < n && col[2 * order[j]!] === col[2 * order[i]!]) j++
      const docs = order.slice(i, j).map((k) => col[2 * k + 1]!)
      for (let x = 1; x < docs.length; x++) {
        const a = Math.min(docs[0]!, docs[x]!)
        const b = Math.max(docs[0]!, docs[x]!)
        const key = `${a},${b}`
        if (!seen.has(key)) {
          seen.add(key)
          pairs.push([a, b])
        }
      }
      i = j
    }
  }
  return pairs
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
