// The Corpus view's state: statistics, the filtered list (paged on demand), the open document, imports.
import type { CorpusStats, DocDetail, DocFilter, DocSort, DocSummary } from '../../../shared/corpus'
import type { Job } from '../../../shared/jobs'
import { api } from '../lib/api'
import { type DroppedFile, droppedFiles, sourceName } from '../lib/dropped-files'

const PAGE = 100
const CHUNK_BYTES = 512 * 1024

class CorpusStore {
  stats = $state<CorpusStats | null>(null)
  loaded = $state(false)
  filter = $state<DocFilter>({})
  sort = $state<DocSort>('imported')
  total = $state(0)
  capped = $state(false)
  pages = $state<Record<number, DocSummary[]>>({})
  doc = $state<DocDetail | null>(null)
  docLoading = $state(false)
  similar = $state<DocSummary[] | null>(null)
  upload = $state<{ done: number; total: number; label: string } | null>(null)
  error = $state('')
  private generation = 0
  private pending = new Set<number>()

  /** The statistics and the first page of the list. */
  async refresh(): Promise<void> {
    if (await this.refreshStats()) await this.reload()
  }

  /** The statistics only (what other views need of the corpus); false, with the error shown, when they could not be read. */
  async refreshStats(): Promise<boolean> {
    try {
      this.stats = await api['corpus:stats']({})
      return true
    } catch (err) {
      this.error = (err as Error).message
      return false
    } finally {
      this.loaded = true
    }
  }

  /** Drops loaded pages and fetches the first one for the current filter and sort. */
  async reload(): Promise<void> {
    this.generation++
    this.pages = {}
    this.pending.clear()
    await this.fetchPage(0)
  }

  async setQuery(filter: DocFilter, sort: DocSort): Promise<void> {
    this.filter = filter
    // Relevance needs a query; with one, the default order (imported) becomes relevance.
    if (filter.query) this.sort = sort === 'imported' ? 'relevance' : sort
    else this.sort = sort === 'relevance' ? 'imported' : sort
    await this.reload()
  }

  row(index: number): DocSummary | undefined {
    return this.pages[Math.floor(index / PAGE)]?.[index % PAGE]
  }

  need(start: number, end: number): void {
    for (let p = Math.floor(start / PAGE); p <= Math.floor(Math.max(start, end - 1) / PAGE); p++) {
      if (!this.pages[p] && !this.pending.has(p)) void this.fetchPage(p)
    }
  }

  private async fetchPage(page: number): Promise<void> {
    const gen = this.generation
    this.pending.add(page)
    try {
      const res = await api['corpus:search']({ filter: $state.snapshot(this.filter), sort: this.sort, offset: page * PAGE, limit: PAGE })
      if (gen !== this.generation) return
      this.total = res.total
      this.capped = res.capped
      this.pages[page] = res.rows
      this.error = ''
    } catch (err) {
      if (gen === this.generation) this.error = (err as Error).message
    } finally {
      this.pending.delete(page)
    }
  }

  async open(id: string): Promise<void> {
    this.docLoading = true
    this.similar = null
    try {
      this.doc = await api['corpus:document']({ id })
    } finally {
      this.docLoading = false
    }
  }

  close(): void {
    this.doc = null
    this.similar = null
  }

  async loadSimilar(): Promise<void> {
    if (this.doc) this.similar = await api['corpus:similar']({ id: this.doc.id, limit: 10 })
  }

  /** Imports what was dropped: paths directly in the desktop app, an upload first in web mode. */
  async importDrop(dt: DataTransfer): Promise<Job> {
    return this.importFiles(await droppedFiles(dt))
  }

  /** Files chosen with the file or folder picker (a folder's files carry their path inside it). */
  async importPicked(list: FileList): Promise<Job> {
    return this.importFiles(Array.from(list, (file) => ({ path: file.webkitRelativePath || file.name, file })))
  }

  /** The desktop app imports the files where they are; web mode uploads them into the workspace first. */
  private async importFiles(files: DroppedFile[]): Promise<Job> {
    if (files.length === 0) throw new Error('Nothing to import: drop or choose files or folders.')
    const pathFor = window.cptStudio?.pathForFile
    if (pathFor) {
      const paths = [...new Set(files.map((f) => topPath(pathFor(f.file), f.path)))]
      return api['jobs:start']({ kind: 'corpus-import', paths })
    }
    return this.uploadAndImport(files)
  }

  private async uploadAndImport(files: DroppedFile[]): Promise<Job> {
    const uploadId = `up-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    const total = files.reduce((s, f) => s + f.file.size, 0)
    let done = 0
    try {
      for (const { path, file } of files) {
        this.upload = { done, total, label: `Uploading ${path}` }
        for (let offset = 0; offset < file.size || offset === 0; offset += CHUNK_BYTES) {
          const chunk = new Uint8Array(await file.slice(offset, offset + CHUNK_BYTES).arrayBuffer())
          await api['corpus:upload']({ uploadId, path, offset, data: toBase64(chunk) })
          done += chunk.length
          this.upload = { done, total, label: `Uploading ${path}` }
          if (file.size === 0) break
        }
      }
      return await api['corpus:importUpload']({ uploadId, source: sourceName(files) })
    } finally {
      this.upload = null
    }
  }
}

/** The dropped item's own path: for a file inside a dropped folder, the folder. */
function topPath(abs: string, rel: string): string {
  const depth = rel.split('/').length - 1
  let p = abs
  for (let i = 0; i < depth; i++) p = p.replace(/[\\/][^\\/]*$/, '')
  return p
}

function toBase64(bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(s)
}

export const corpusStore = new CorpusStore()
