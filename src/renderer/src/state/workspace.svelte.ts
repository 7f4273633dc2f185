// The current workspace and the recent list; follows workspace:changed events.
import type { WorkspaceInfo } from '../../../shared/workspace'
import { api } from '../lib/api'

type Recent = { path: string; name: string; openedAt: string }

class WorkspaceStore {
  current = $state<WorkspaceInfo | null>(null)
  recent = $state<Recent[]>([])
  loaded = $state(false)

  async load(): Promise<void> {
    api.on('workspace:changed', (info) => {
      this.current = info
      void this.refreshRecent()
    })
    const [current, recent] = await Promise.all([api['workspace:current']({}), api['workspace:recent']({})])
    this.current = current
    this.recent = recent
    this.loaded = true
  }

  async refresh(): Promise<void> {
    this.current = await api['workspace:current']({})
  }

  async refreshRecent(): Promise<void> {
    this.recent = await api['workspace:recent']({})
  }

  async create(path: string, name?: string): Promise<void> {
    this.current = await api['workspace:create'](name ? { path, name } : { path })
  }

  async open(path: string): Promise<void> {
    this.current = await api['workspace:open']({ path })
  }

  async close(): Promise<void> {
    await api['workspace:close']({})
    this.current = null
  }
}

export const workspaceStore = new WorkspaceStore()
