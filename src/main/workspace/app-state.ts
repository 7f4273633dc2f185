// What the app remembers across restarts: recent workspaces, the last one open, preferences.
// Lives outside any workspace, in CPT_STUDIO_HOME or the user's config folder.
import os from 'node:os'
import path from 'node:path'
import { z } from 'zod'
import { Preferences, RecentWorkspace } from '../../shared/contract'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-write'
import { promises as fs } from 'node:fs'

const MAX_RECENT = 10

const AppStateFile = z.object({
  lastWorkspace: z.string().nullable().default(null),
  recent: z.array(RecentWorkspace).default([]),
  preferences: Preferences.default({ theme: 'system' }),
})
export type AppStateFile = z.infer<typeof AppStateFile>

export function defaultStateDir(): string {
  if (process.env.CPT_STUDIO_HOME) return path.resolve(process.env.CPT_STUDIO_HOME)
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config')
  return path.join(base, 'cpt-studio')
}

export class AppState {
  private constructor(
    readonly dir: string,
    private state: AppStateFile,
  ) {}

  static async load(dir = defaultStateDir()): Promise<AppState> {
    let raw: unknown
    try {
      raw = await readJsonIfExists(path.join(dir, 'state.json'))
    } catch {
      raw = undefined // a damaged state file only loses the recent list, never a workspace
    }
    const parsed = AppStateFile.safeParse(raw ?? {})
    return new AppState(dir, parsed.success ? parsed.data : AppStateFile.parse({}))
  }

  get preferences(): Preferences {
    return this.state.preferences
  }

  get lastWorkspace(): string | null {
    return this.state.lastWorkspace
  }

  get recent(): z.infer<typeof RecentWorkspace>[] {
    return this.state.recent
  }

  async setPreferences(preferences: Preferences): Promise<void> {
    this.state.preferences = preferences
    await this.save()
  }

  async rememberWorkspace(dir: string, name: string): Promise<void> {
    const recent = this.state.recent.filter((r) => r.path !== dir)
    recent.unshift({ path: dir, name, openedAt: new Date().toISOString() })
    this.state.recent = recent.slice(0, MAX_RECENT)
    this.state.lastWorkspace = dir
    await this.save()
  }

  async forgetLastWorkspace(): Promise<void> {
    this.state.lastWorkspace = null
    await this.save()
  }

  private async save(): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true })
    await writeJsonAtomic(path.join(this.dir, 'state.json'), this.state)
  }
}
