// The one contract: every request channel and every event, as zod schemas.
// The Electron IPC binding and the web-mode HTTP binding are both generated from these tables.
import { z } from 'zod'
import { CorpusStats, DocDetail, DocFilter, DocSort, DocSummary } from './corpus'
import { Job, JobInput, JobLogLine } from './jobs'
import { MetricPoint, RunOptions, RunSummary } from './runs'
import { WorkspaceInfo } from './workspace'

const Empty = z.object({}).strict()
/** Job ids are file names inside the workspace: nothing but lower-case letters, digits and dashes. */
const JobId = z.string().regex(/^[a-z0-9-]{1,64}$/, 'a job id has only a-z, 0-9 and -')
const JobRef = z.object({ id: JobId }).strict()
const FolderPath = z.string().min(1, 'a folder path is required').max(4096)
const DocId = z.string().regex(/^[0-9a-f]{32}$/, 'a document id is 32 hex characters')
const UploadId = z.string().regex(/^[a-z0-9-]{8,64}$/, 'an upload id has 8-64 characters a-z, 0-9 and -')

export const Theme = z.enum(['system', 'light', 'dark'])
export type Theme = z.infer<typeof Theme>

export const AppInfo = z.object({
  name: z.string(),
  version: z.string(),
  host: z.enum(['electron', 'web']),
  /** Whether the host can show a native folder picker. */
  canPickFolder: z.boolean(),
  /** Where the app remembers recent workspaces and preferences. */
  stateDir: z.string(),
})
export type AppInfo = z.infer<typeof AppInfo>

export const Preferences = z.object({ theme: Theme })
export type Preferences = z.infer<typeof Preferences>

export const RecentWorkspace = z.object({ path: z.string(), name: z.string(), openedAt: z.string() })

/** Request channels: name -> input and output schemas. */
export const channels = {
  'app:info': { input: Empty, output: AppInfo },
  'app:preferences': { input: Empty, output: Preferences },
  'app:setPreferences': { input: z.object({ theme: Theme }).strict(), output: Preferences },
  'app:pickFolder': {
    input: z.object({ title: z.string().max(200).optional() }).strict(),
    output: z.object({ path: z.string().nullable() }),
  },
  'app:openExternal': {
    input: z.object({ url: z.url({ protocol: /^https?$/ }) }).strict(),
    output: z.object({ opened: z.boolean() }),
  },
  'workspace:current': { input: Empty, output: WorkspaceInfo.nullable() },
  'workspace:recent': { input: Empty, output: z.array(RecentWorkspace) },
  'workspace:create': {
    input: z.object({ path: FolderPath, name: z.string().min(1).max(200).optional() }).strict(),
    output: WorkspaceInfo,
  },
  'workspace:open': { input: z.object({ path: FolderPath }).strict(), output: WorkspaceInfo },
  'workspace:close': { input: Empty, output: z.object({ closed: z.boolean() }) },
  'jobs:list': { input: Empty, output: z.array(Job) },
  'jobs:start': { input: JobInput, output: Job },
  'jobs:cancel': { input: JobRef, output: Job },
  'jobs:pause': { input: JobRef, output: Job },
  'jobs:resume': { input: JobRef, output: Job },
  'jobs:log': {
    input: z.object({ id: JobId, tail: z.number().int().min(1).max(5000).default(500) }).strict(),
    output: z.object({ lines: z.array(z.string()) }),
  },
  'corpus:search': {
    input: z
      .object({
        filter: DocFilter.default({}),
        sort: DocSort.default('imported'),
        offset: z.number().int().nonnegative().max(10_000_000).default(0),
        limit: z.number().int().min(1).max(500).default(50),
      })
      .strict(),
    output: z.object({ total: z.number(), capped: z.boolean(), rows: z.array(DocSummary) }),
  },
  'corpus:document': { input: z.object({ id: DocId }).strict(), output: DocDetail },
  'corpus:similar': {
    input: z.object({ id: DocId, limit: z.number().int().min(1).max(100).default(10) }).strict(),
    output: z.array(DocSummary),
  },
  'corpus:stats': { input: Empty, output: CorpusStats.nullable() },
  /** Web mode's way to bring dropped files to the server: chunks of one file, base64, in order. */
  'corpus:upload': {
    input: z
      .object({
        uploadId: UploadId,
        /** The file's path inside the dropped folder, with / separators. */
        path: z.string().min(1).max(1024),
        offset: z.number().int().nonnegative(),
        data: z.string().max(1_000_000),
      })
      .strict(),
    output: z.object({ bytes: z.number() }),
  },
  'corpus:importUpload': {
    input: z.object({ uploadId: UploadId, source: z.string().min(1).max(200).optional() }).strict(),
    output: Job,
  },
  'runs:list': { input: Empty, output: z.array(RunSummary) },
  /** A run's metrics from line `from` on (the client keeps what it has and asks for the rest). */
  'runs:metrics': {
    input: z.object({ id: JobId, from: z.number().int().nonnegative().default(0) }).strict(),
    output: z.object({ points: z.array(MetricPoint), next: z.number().int() }),
  },
  /** What a new run can be built from: presets, tokenizers and checkpoints in the workspace. */
  'runs:options': { input: Empty, output: RunOptions },
} as const

/** Events the engine pushes to every connected UI. */
export const events = {
  /** A job was created or changed; the client keeps the highest `seq` per job. */
  'job:changed': Job,
  /** A job wrote a line to its log. */
  'job:log': JobLogLine,
  /** The current workspace changed (opened, created, closed). */
  'workspace:changed': WorkspaceInfo.nullable(),
} as const

export type Channel = keyof typeof channels
export type EventName = keyof typeof events
export type ChannelInput<C extends Channel> = z.input<(typeof channels)[C]['input']>
export type ParsedInput<C extends Channel> = z.output<(typeof channels)[C]['input']>
export type ChannelOutput<C extends Channel> = z.output<(typeof channels)[C]['output']>
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>

export const CHANNELS = Object.keys(channels) as Channel[]
export const EVENTS = Object.keys(events) as EventName[]

/** What the renderer calls: one typed function per channel, plus event subscription. */
export type Api = {
  [C in Channel]: (input: ChannelInput<C>) => Promise<ChannelOutput<C>>
} & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void
}

/** The IPC channel that carries events from the main process to windows. */
export const IPC_EVENT_CHANNEL = 'cpt:event'

/** What the Electron preload exposes: the same functions, returning envelopes (errors cannot cross the bridge intact). */
export type Bridge = {
  [C in Channel]: (input: ChannelInput<C>) => Promise<Envelope<ChannelOutput<C>>>
} & {
  on(event: EventName, listener: (payload: unknown) => void): () => void
  /** The path on disk of a file dropped onto the window (Electron's webUtils). */
  pathForFile(file: File): string
}

/** The envelope both bindings return, so the renderer unwraps errors the same way. */
export type Envelope<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string; details?: unknown } }
