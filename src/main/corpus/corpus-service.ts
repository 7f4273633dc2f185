// The corpus as the UI and CLI see it: search, documents, statistics, uploads; opened lazily per workspace.
import type { CorpusStats, DocDetail, DocFilter, DocSort, DocSummary } from '../../shared/corpus'
import type { Workspace } from '../workspace/workspace'
import { DocumentStore } from './document-store'
import { currentStats, statsVersion } from './stats-cache'

export class CorpusService {
  private store: DocumentStore | null = null
  /** Statistics scan every row: computed once per table version (by the import, or here). */
  private statsCache: { version: string; stats: CorpusStats } | null = null

  constructor(private readonly ws: Workspace) {}

  /** The store, or null while the workspace has no documents table. */
  private async open(): Promise<DocumentStore | null> {
    this.store ??= await DocumentStore.openIfExists(this.ws)
    return this.store
  }

  async search(filter: DocFilter, sort: DocSort, offset: number, limit: number): Promise<{ total: number; capped: boolean; rows: DocSummary[] }> {
    const store = await this.open()
    return store ? store.search(filter, sort, offset, limit) : { total: 0, capped: false, rows: [] }
  }

  async document(id: string): Promise<DocDetail> {
    return (await this.required()).get(id)
  }

  async similar(id: string, limit: number): Promise<DocSummary[]> {
    return (await this.required()).similar(id, limit)
  }

  async stats(): Promise<CorpusStats | null> {
    const store = await this.open()
    if (!store) return null
    const version = await statsVersion(store)
    if (this.statsCache?.version !== version) this.statsCache = { version, stats: await currentStats(this.ws, store, version) }
    return this.statsCache.stats
  }

  close(): void {
    this.store?.close()
    this.store = null
  }

  private async required(): Promise<DocumentStore> {
    return (await this.open()) ?? DocumentStore.open(this.ws)
  }
}
