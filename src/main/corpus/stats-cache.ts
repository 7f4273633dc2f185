// Corpus statistics scan every document: the import computes them once and keeps them beside the
// database, keyed by the tables' versions, so no view waits for a scan of a large corpus.
import path from 'node:path'
import { z } from 'zod'
import { CorpusStats } from '../../shared/corpus'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-write'
import type { Workspace } from '../workspace/workspace'
import type { DocumentStore } from './document-store'

const STATS_FILE = 'corpus-stats.json'
const StatsFile = z.object({ version: z.string(), stats: CorpusStats })

export async function loadStats(ws: Workspace, version: string): Promise<CorpusStats | null> {
  const parsed = StatsFile.safeParse(await readJsonIfExists(path.join(ws.dir, STATS_FILE)).catch(() => null))
  return parsed.success && parsed.data.version === version ? parsed.data.stats : null
}

export async function saveStats(ws: Workspace, version: string, stats: CorpusStats): Promise<void> {
  await writeJsonAtomic(path.join(ws.dir, STATS_FILE), { version, stats })
}

/** What the statistics depend on: the documents and the imports tables, as of now. */
export async function statsVersion(store: DocumentStore): Promise<string> {
  return `${await store.docs.version()}:${await store.imports.version()}`
}

/** The statistics of the store as it is now: the saved ones when they are current, else computed and saved. */
export async function currentStats(ws: Workspace, store: DocumentStore, version?: string): Promise<CorpusStats> {
  version ??= await statsVersion(store)
  const saved = await loadStats(ws, version)
  if (saved) return saved
  const stats = await store.stats()
  await saveStats(ws, version, stats)
  return stats
}
