// Near-duplicate clusters over the whole corpus: documents sharing an LSH band are candidates,
// verified by their MinHash estimate, joined by union-find. Memory stays small and flat: the pass
// holds typed arrays (each band's keys, stored status and size) and the ids packed in one buffer,
// about 100 bytes a document, where JavaScript arrays and strings took about 500.
import type { DocumentStore } from './document-store'
import { sql } from './document-store'
import { throwIfStopped } from '../jobs/worker-protocol'
import { estimateJaccard } from './signals/minhash'

export interface NearDupResult {
  clusters: number
  nearDuplicates: number
  updated: number
}

/** Stored dup_status values by code; any other value gets OTHER (and is reset unless clustered). */
const STATUSES = ['unique', 'representative', 'near-duplicate'] as const
const [UNIQUE, REPRESENTATIVE, NEAR_DUPLICATE] = [0, 1, 2]
const OTHER = 255

/** What the pass reads of every document: its id, its LSH band keys, and its stored duplicate state. */
interface Corpus {
  n: number
  ids: PackedStrings
  /** bands[b][d]: document d's key in band b, when keyCount[d] > b. */
  bands: Int32Array[]
  keyCount: Uint8Array
  status: Uint8Array
  size: Int32Array
  /** The stored dup_cluster of documents not stored as unique (a unique document is its own cluster). */
  cluster: Map<number, string>
}

export async function clusterNearDuplicates(store: DocumentStore, threshold: number, signal?: AbortSignal): Promise<NearDupResult> {
  const { n, ids, bands, keyCount, status, size, cluster } = await readCorpus(store, signal)
  const buckets = candidateBuckets(bands, keyCount, n)
  const inBucket = new Uint8Array(n)
  const members: number[] = []
  for (const bucket of buckets) {
    for (const d of bucket) {
      if (inBucket[d]) continue
      inBucket[d] = 1
      members.push(d)
    }
  }
  const signatures = await loadSignatures(store, ids, members)
  const find = joinSimilar(n, buckets, (a, b) => {
    const sa = signatures.get(a)
    const sb = signatures.get(b)
    return !!sa && !!sb && estimateJaccard(sa, sb) >= threshold
  })
  const groups = new Map<number, number[]>()
  for (const d of members) {
    const r = find(d)
    const list = groups.get(r)
    if (list) list.push(d)
    else groups.set(r, [d])
  }
  const result: NearDupResult = { clusters: 0, nearDuplicates: 0, updated: 0 }
  const clustered = new Uint8Array(n)
  for (const [root, list] of groups) {
    if (list.length < 2) continue
    const all = list.sort((a, b) => a - b)
    for (const d of all) clustered[d] = 1
    result.clusters++
    result.nearDuplicates += all.length - 1
    const clusterId = ids.get(root)
    const changed = all.filter((d) => status[d] !== (d === root ? REPRESENTATIVE : NEAR_DUPLICATE) || size[d] !== all.length || cluster.get(d) !== clusterId)
    if (!changed.length) continue
    if (changed.includes(root)) {
      await store.docs.update({ where: `id = ${sql(clusterId)}`, values: { dup_status: 'representative', dup_cluster: clusterId, dup_size: all.length } })
    }
    await updateEach(store, changed.filter((d) => d !== root).map((d) => ids.get(d)), { values: { dup_status: 'near-duplicate', dup_cluster: clusterId, dup_size: all.length } })
    result.updated += changed.length
  }
  // Documents clustered by an earlier pass (a lower threshold, or copies since changed) that no longer are.
  const stale: string[] = []
  for (let d = 0; d < n; d++) if (!clustered[d] && status[d] !== UNIQUE) stale.push(ids.get(d))
  await updateEach(store, stale, { valuesSql: { dup_status: "'unique'", dup_cluster: 'id', dup_size: '1' } })
  result.updated += stale.length
  return result
}

/**
 * Reads every document's id, band keys and duplicate state. The arrays are sized by a count taken first;
 * rows written after it (by another import, which clusters them in its own pass) are left out.
 */
async function readCorpus(store: DocumentStore, signal?: AbortSignal): Promise<Corpus> {
  const capacity = await store.docs.countRows()
  const corpus: Corpus = { n: 0, ids: new PackedStrings(capacity), bands: [], keyCount: new Uint8Array(capacity), status: new Uint8Array(capacity), size: new Int32Array(capacity), cluster: new Map() }
  const columns = ['id', 'lsh', 'dup_status', 'dup_cluster', 'dup_size']
  for await (const batch of store.docs.query().select(columns)) {
    const [idCol, lshCol, statusCol, clusterCol, sizeCol] = columns.map((c) => batch.getChild(c)!)
    for (let i = 0; i < batch.numRows && corpus.n < capacity; i++) {
      const d = corpus.n++
      corpus.ids.push(idCol!.get(i) as string)
      const keys = (lshCol!.get(i) as { toArray(): Int32Array } | null)?.toArray() ?? new Int32Array(0)
      corpus.keyCount[d] = keys.length
      for (let b = 0; b < keys.length; b++) (corpus.bands[b] ??= new Int32Array(capacity))[d] = keys[b]!
      const code = STATUSES.indexOf(statusCol!.get(i) as (typeof STATUSES)[number])
      corpus.status[d] = code < 0 ? OTHER : code
      corpus.size[d] = Number(sizeCol!.get(i) ?? 0)
      if (code !== UNIQUE) corpus.cluster.set(d, String(clusterCol!.get(i)))
    }
    if (signal) throwIfStopped(signal)
    if (corpus.n === capacity) break
  }
  return corpus
}

/** Sets these values (or SQL expressions) on the documents with these ids, 500 at a time. */
async function updateEach(store: DocumentStore, ids: string[], set: { values: Record<string, string | number> } | { valuesSql: Record<string, string> }): Promise<void> {
  for (let i = 0; i < ids.length; i += 500) {
    const where = `id IN (${ids.slice(i, i + 500).map(sql).join(',')})`
    await ('values' in set ? store.docs.update({ where, values: set.values }) : store.docs.update({ where, valuesSql: set.valuesSql }))
  }
}

/**
 * Documents whose keys are equal in a band, one list per band and key (lists of two or more, documents
 * in corpus order). Per band: the keys sorted natively find the repeated ones, then one pass collects them.
 */
function candidateBuckets(bands: Int32Array[], keyCount: Uint8Array, n: number): number[][] {
  const buckets: number[][] = []
  bands.forEach((col, b) => {
    const keys = new Int32Array(n)
    let m = 0
    for (let d = 0; d < n; d++) if (keyCount[d]! > b) keys[m++] = col[d]!
    const sorted = keys.subarray(0, m).sort()
    const repeated = new Map<number, number[]>()
    for (let i = 1; i < m; i++) if (sorted[i] === sorted[i - 1] && !repeated.has(sorted[i]!)) repeated.set(sorted[i]!, [])
    if (!repeated.size) return
    for (let d = 0; d < n; d++) if (keyCount[d]! > b) repeated.get(col[d]!)?.push(d)
    buckets.push(...repeated.values())
  })
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
  const parent = Int32Array.from({ length: n }, (_, i) => i)
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

/** The MinHash signatures of these documents, by document. */
async function loadSignatures(store: DocumentStore, ids: PackedStrings, docs: number[]): Promise<Map<number, Uint32Array>> {
  const out = new Map<number, Uint32Array>()
  for (let i = 0; i < docs.length; i += 1000) {
    const byId = new Map(docs.slice(i, i + 1000).map((d) => [ids.get(d), d]))
    const rows = (await store.docs.query().where(`id IN (${[...byId.keys()].map(sql).join(',')})`).select(['id', 'minhash']).toArray()) as { id: string; minhash: Uint8Array }[]
    // Copy: the Arrow buffer's offset need not be 4-byte aligned.
    for (const r of rows) out.set(byId.get(r.id)!, new Uint32Array(new Uint8Array(r.minhash).slice().buffer))
  }
  return out
}

/** Strings in one growing UTF-8 buffer with their end offsets: 36 bytes a content id, not the 80 of a JS string in an array. */
class PackedStrings {
  private bytes = Buffer.alloc(0)
  private used = 0
  private count = 0
  private readonly ends: Uint32Array

  constructor(capacity: number) {
    this.ends = new Uint32Array(capacity)
  }

  push(s: string): void {
    const need = this.used + Buffer.byteLength(s)
    if (need > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * this.bytes.length))
      this.bytes.copy(grown, 0, 0, this.used)
      this.bytes = grown
    }
    this.used += this.bytes.write(s, this.used)
    this.ends[this.count++] = this.used
  }

  get(i: number): string {
    return this.bytes.toString('utf8', i ? this.ends[i - 1] : 0, this.ends[i])
  }
}
