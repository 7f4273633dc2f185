// Workspace descriptions shared by the engine, the CLI and the UI.
import { z } from 'zod'

/** The on-disk format version this app writes; a workspace with a larger one is refused. */
export const WORKSPACE_FORMAT_VERSION = 1

export const WorkspaceSettings = z.object({
  /** Display name shown in the window title and the sidebar. */
  name: z.string().min(1).max(200),
  /** The workspace's default tokenizer: a preset name or a path inside the workspace. */
  tokenizer: z.string().default('llama2'),
})
export type WorkspaceSettings = z.infer<typeof WorkspaceSettings>

export const WorkspaceFile = z.object({
  format: z.literal('cpt-studio-workspace'),
  version: z.number().int().positive(),
  appVersion: z.string(),
  createdAt: z.string(),
  settings: WorkspaceSettings,
})
export type WorkspaceFile = z.infer<typeof WorkspaceFile>

export const TableInfo = z.object({ name: z.string(), rows: z.number().int().nonnegative() })
export const FolderInfo = z.object({
  name: z.string(),
  path: z.string(),
  files: z.number().int().nonnegative(),
  bytes: z.number().nonnegative(),
})

export const WorkspaceInfo = z.object({
  path: z.string(),
  name: z.string(),
  version: z.number().int(),
  appVersion: z.string(),
  createdAt: z.string(),
  settings: WorkspaceSettings,
  tables: z.array(TableInfo),
  folders: z.array(FolderInfo),
})
export type WorkspaceInfo = z.infer<typeof WorkspaceInfo>
