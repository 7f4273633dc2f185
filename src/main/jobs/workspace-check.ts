// The workspace check job: reads every LanceDB table row by row and verifies every data file
// against the checksum manifest of the previous check, reporting added, changed and missing files.
import { createReadStream, promises as fs } from 'node:fs'
import { createHash } from 'node:crypto'
import path from 'node:path'
import { z } from 'zod'
import { Workspace } from '../workspace/workspace'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-write'
import { type JobContext, type JobKindSpec, throwIfStopped } from './worker-protocol'

export const MANIFEST_FILE = 'checksums.json'
/** Folders whose files are checksummed; the database verifies itself by being read. */
const CHECKED_FOLDERS = ['models', 'runs', 'shards'] as const

const FileEntry = z.object({ size: z.number(), mtimeMs: z.number(), sha256: z.string() })
type FileEntry = z.infer<typeof FileEntry>
const Manifest = z.object({ checkedAt: z.string(), files: z.record(z.string(), FileEntry) })

const State = z.object({
  tables: z.array(z.object({ name: z.string(), rows: z.number(), error: z.string().nullable() })),
  files: z.record(z.string(), FileEntry),
})
type State = z.infer<typeof State>

export interface WorkspaceCheckResult {
  tables: { name: string; rows: number; error: string | null }[]
  files: number
  bytes: number
  added: string[]
  changed: string[]
  /** Same size and modification time but different content: silent corruption. */
  corrupted: string[]
  missing: string[]
  ok: boolean
}

export const workspaceCheck: JobKindSpec<{ deep: boolean }, State> = {
  title: (input) => (input.deep ? 'Workspace check (deep)' : 'Workspace check'),
  resumable: true,
  run: runWorkspaceCheck,
}

async function runWorkspaceCheck(input: { deep: boolean }, ctx: JobContext<State>): Promise<WorkspaceCheckResult> {
  const ws = await Workspace.open(ctx.workspaceDir)
  const resumed = State.safeParse(ctx.state)
  const state: State = resumed.success ? resumed.data : { tables: [], files: {} }
  if (resumed.success) ctx.log(`Resuming: ${state.tables.length} tables and ${Object.keys(state.files).length} files already checked`)
  const manifestPath = path.join(ws.dir, MANIFEST_FILE)
  const previous = Manifest.safeParse((await readJsonIfExists(manifestPath).catch(() => undefined)) ?? null)
  const before = previous.success ? previous.data.files : {}

  const files = await listFiles(ws)
  const tableNames = await ws.tableNames()
  const totalBytes = files.reduce((s, f) => s + f.size, 0)
  let doneBytes = files.filter((f) => state.files[f.rel]).reduce((s, f) => s + f.size, 0)
  const unit = 'bytes'
  ctx.progress({ done: doneBytes, total: totalBytes, unit, message: `Reading ${tableNames.length} tables` })

  const db = await ws.db()
  for (const name of tableNames) {
    if (state.tables.some((t) => t.name === name)) continue
    throwIfStopped(ctx.signal)
    let rows = 0
    let error: string | null = null
    try {
      const table = await db.openTable(name)
      for await (const batch of table.query()) {
        rows += batch.numRows
        throwIfStopped(ctx.signal)
      }
      const counted = await table.countRows()
      if (counted !== rows) error = `row count says ${counted} but ${rows} rows were read`
      table.close()
    } catch (err) {
      if (ctx.signal.aborted) throw err
      error = (err as Error).message
    }
    ctx.log(error ? `Table ${name}: ERROR ${error}` : `Table ${name}: ${rows} rows read`)
    state.tables.push({ name, rows, error })
    await ctx.saveState(state)
  }

  let sinceSave = 0
  for (const file of files) {
    if (state.files[file.rel]) continue
    const old = before[file.rel]
    const unchanged = old && sameFileStamp(old, file)
    let sha256: string
    if (unchanged && !input.deep) {
      sha256 = old.sha256
    } else {
      sha256 = await hashFile(file.abs, ctx, (n) => {
        ctx.progress({ done: doneBytes + n, message: `Hashing ${file.rel}` })
      })
    }
    doneBytes += file.size
    state.files[file.rel] = { size: file.size, mtimeMs: file.mtimeMs, sha256 }
    ctx.progress({ done: doneBytes, message: `Checked ${file.rel}` })
    sinceSave += file.size
    if (sinceSave > 64 * 1024 * 1024 || Object.keys(state.files).length % 100 === 0) {
      await ctx.saveState(state)
      sinceSave = 0
    }
  }

  const result: WorkspaceCheckResult = {
    tables: state.tables,
    files: files.length,
    bytes: totalBytes,
    added: [],
    changed: [],
    corrupted: [],
    missing: Object.keys(before).filter((rel) => !state.files[rel]),
    ok: true,
  }
  for (const [rel, entry] of Object.entries(state.files)) {
    const old = before[rel]
    if (!old) result.added.push(rel)
    else if (old.sha256 !== entry.sha256) {
      if (sameFileStamp(old, entry)) result.corrupted.push(rel)
      else result.changed.push(rel)
    }
  }
  result.ok = result.corrupted.length === 0 && result.missing.length === 0 && state.tables.every((t) => !t.error)
  for (const rel of result.corrupted) ctx.log(`CORRUPTED ${rel}: content changed but size and time did not`)
  for (const rel of result.missing) ctx.log(`MISSING ${rel}`)
  await writeJsonAtomic(manifestPath, { checkedAt: new Date().toISOString(), files: state.files })
  ctx.progress({ done: totalBytes, total: totalBytes, message: result.ok ? 'Workspace is consistent' : 'Problems found: see the log' })
  ctx.log(
    `Checked ${tableNames.length} tables and ${files.length} files (${totalBytes} bytes): ` +
      `${result.added.length} new, ${result.changed.length} changed, ${result.corrupted.length} corrupted, ${result.missing.length} missing`,
  )
  return result
}

/**
 * Same size and modification time, to the millisecond: tools that copy or restore times keep no more
 * than that (and round it through floating-point seconds), so a finer difference is no change.
 */
function sameFileStamp(a: { size: number; mtimeMs: number }, b: { size: number; mtimeMs: number }): boolean {
  return a.size === b.size && Math.abs(a.mtimeMs - b.mtimeMs) < 1
}

async function listFiles(ws: Workspace): Promise<{ rel: string; abs: string; size: number; mtimeMs: number }[]> {
  const out = []
  for (const folder of CHECKED_FOLDERS) {
    const dir = ws.folder(folder)
    const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
    for (const entry of entries) {
      if (!entry.isFile()) continue
      const abs = path.join(entry.parentPath, entry.name)
      const st = await fs.stat(abs).catch(() => null)
      if (st) out.push({ rel: path.relative(ws.dir, abs).split(path.sep).join('/'), abs, size: st.size, mtimeMs: st.mtimeMs })
    }
  }
  return out.sort((a, b) => a.rel.localeCompare(b.rel))
}

async function hashFile(file: string, ctx: JobContext<State>, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256')
  let n = 0
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) {
    throwIfStopped(ctx.signal)
    hash.update(chunk as Buffer)
    n += (chunk as Buffer).length
    onBytes(n)
  }
  return hash.digest('hex')
}
