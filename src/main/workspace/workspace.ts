// A workspace: a folder the user can see, holding settings, the LanceDB database and data folders.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import '../util/lancedb-env'
import * as lancedb from '@lancedb/lancedb'
import { AppError } from '../../shared/errors'
import {
  WORKSPACE_FORMAT_VERSION,
  WorkspaceFile,
  type WorkspaceInfo,
  type WorkspaceSettings,
} from '../../shared/workspace'
import { APP_VERSION } from '../app-version'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-write'

/** LanceDB cache bounds: index data (posting lists, vector partitions) and file metadata. */
const INDEX_CACHE_BYTES = 2n << 30n
const METADATA_CACHE_BYTES = 128n << 20n

export const WORKSPACE_FILE = 'cpt-studio.json'
/** Data folders every workspace has, in the order the UI lists them. */
export const WORKSPACE_FOLDERS = ['models', 'runs', 'shards', 'jobs', 'uploads'] as const
export const DB_FOLDER = 'db'

export class Workspace {
  private connection: Promise<lancedb.Connection> | null = null

  private constructor(
    readonly dir: string,
    readonly file: WorkspaceFile,
  ) {}

  get name(): string {
    return this.file.settings.name
  }

  folder(name: (typeof WORKSPACE_FOLDERS)[number]): string {
    return path.join(this.dir, name)
  }

  get dbDir(): string {
    return path.join(this.dir, DB_FOLDER)
  }

  /** The workspace's LanceDB connection, opened on first use. */
  db(): Promise<lancedb.Connection> {
    // Jobs write from worker processes: every read checks for a newer table version (a cheap local check).
    // LanceDB's caches default to 6 GB for index data and 1 GB for file metadata, and an import's
    // metadata grows with every table version it writes: bounded here (see docs/ARCHITECTURE.md).
    this.connection ??= lancedb.connect(this.dbDir, { readConsistencyInterval: 0 }, new lancedb.Session(INDEX_CACHE_BYTES, METADATA_CACHE_BYTES))
    return this.connection
  }

  async tableNames(): Promise<string[]> {
    return (await this.db()).tableNames()
  }

  async info(): Promise<WorkspaceInfo> {
    const db = await this.db()
    const tables = []
    for (const name of await db.tableNames()) {
      const table = await db.openTable(name)
      tables.push({ name, rows: await table.countRows() })
      table.close()
    }
    const folders = []
    for (const name of WORKSPACE_FOLDERS) {
      const dir = this.folder(name)
      const { files, bytes } = await folderSize(dir)
      folders.push({ name, path: dir, files, bytes })
    }
    return {
      path: this.dir,
      name: this.name,
      version: this.file.version,
      appVersion: this.file.appVersion,
      createdAt: this.file.createdAt,
      settings: this.file.settings,
      tables,
      folders,
    }
  }

  close(): void {
    void this.connection?.then((c) => c.close())
    this.connection = null
  }

  /** Creates a workspace in a new or empty folder. */
  static async create(dir: string, settings: Partial<WorkspaceSettings> = {}): Promise<Workspace> {
    dir = path.resolve(dir)
    const entries = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null
      throw new AppError('invalid_input', `Cannot read ${dir}: ${err.message}`, { path: dir })
    })
    if (entries?.includes(WORKSPACE_FILE)) {
      throw new AppError('conflict', `${dir} is already a CPT Studio workspace: open it instead.`, { path: dir })
    }
    if (entries && entries.some((e) => !e.startsWith('.'))) {
      throw new AppError(
        'conflict',
        `${dir} is not empty. Create a workspace in a new or empty folder, so no files of yours are mixed with it.`,
        { path: dir, entries: entries.slice(0, 10) },
      )
    }
    await fs.mkdir(dir, { recursive: true })
    for (const name of [DB_FOLDER, ...WORKSPACE_FOLDERS]) await fs.mkdir(path.join(dir, name), { recursive: true })
    const file: WorkspaceFile = {
      format: 'cpt-studio-workspace',
      version: WORKSPACE_FORMAT_VERSION,
      appVersion: APP_VERSION,
      createdAt: new Date().toISOString(),
      settings: { name: settings.name ?? path.basename(dir), tokenizer: settings.tokenizer ?? 'llama2' },
    }
    await writeJsonAtomic(path.join(dir, WORKSPACE_FILE), file)
    return new Workspace(dir, file)
  }

  /** Opens an existing workspace; a clear error when the folder is not one or is from a newer app. */
  static async open(dir: string): Promise<Workspace> {
    dir = path.resolve(dir)
    const stat = await fs.stat(dir).catch(() => null)
    if (!stat?.isDirectory()) {
      throw new AppError('not_found', `${dir} does not exist or is not a folder.`, { path: dir })
    }
    const settingsPath = path.join(dir, WORKSPACE_FILE)
    let raw: unknown
    try {
      raw = await readJsonIfExists(settingsPath)
    } catch (err) {
      throw new AppError(
        'not_a_workspace',
        `${settingsPath} is not valid JSON (${(err as Error).message}). Fix or restore the file, then open the folder again.`,
        { path: settingsPath },
      )
    }
    if (raw === undefined) {
      throw new AppError(
        'not_a_workspace',
        `${dir} is not a CPT Studio workspace (it has no ${WORKSPACE_FILE}). Open the folder that holds ${WORKSPACE_FILE}, or create a new workspace.`,
        { path: dir },
      )
    }
    const version = (raw as { version?: unknown }).version
    if (typeof version === 'number' && version > WORKSPACE_FORMAT_VERSION) {
      throw new AppError(
        'workspace_too_new',
        `${dir} was written by a newer CPT Studio (workspace format ${version}; this app reads up to ${WORKSPACE_FORMAT_VERSION}). Update CPT Studio to open it.`,
        { path: dir, version, supported: WORKSPACE_FORMAT_VERSION },
      )
    }
    const parsed = WorkspaceFile.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const field = issue?.path.join('.') || '(root)'
      throw new AppError(
        'not_a_workspace',
        `${settingsPath}: field "${field}" ${issue?.message ?? 'is invalid'}. Fix the file, then open the folder again.`,
        { path: settingsPath, issues: parsed.error.issues },
      )
    }
    for (const name of [DB_FOLDER, ...WORKSPACE_FOLDERS]) await fs.mkdir(path.join(dir, name), { recursive: true })
    return new Workspace(dir, parsed.data)
  }
}

async function folderSize(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0
  let bytes = 0
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const st = await fs.stat(path.join(entry.parentPath, entry.name)).catch(() => null)
    if (st) {
      files++
      bytes += st.size
    }
  }
  return { files, bytes }
}
