// The engine: the app's state and services in plain Node (no Electron), shared by every way in.
import path from 'node:path'
import { existsSync } from 'node:fs'
import { AppError } from '../shared/errors'
import { EventBus } from './engine-events'
import { CorpusService } from './corpus/corpus-service'
import { JobRunner } from './jobs/job-runner'
import { AppState } from './workspace/app-state'
import { Workspace } from './workspace/workspace'

/** What the host (Electron shell or web server) can do beyond the engine. */
export interface Host {
  kind: 'electron' | 'web'
  pickFolder?: (title: string) => Promise<string | null>
  openExternal?: (url: string) => Promise<void>
}

/** The open workspace and its services. */
export interface Active {
  workspace: Workspace
  jobs: JobRunner
  corpus: CorpusService
}

export interface EngineOptions {
  host: Host
  /** Where recent workspaces and preferences live (defaults to the user's config folder). */
  stateDir?: string
  workerPath?: string
  /** Add opened workspaces to the recent list and reopen the last one (off for one-shot CLI commands). */
  rememberWorkspaces?: boolean
}

/** Finds the built worker entry: beside this bundle or its chunk folder, or in out/main when run from sources (tests). */
export function defaultWorkerPath(): string {
  const candidates = [
    path.join(__dirname, 'worker.js'),
    path.join(__dirname, '..', 'worker.js'),
    path.resolve(__dirname, '../../out/main/worker.js'),
  ]
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!
}

export class Engine {
  readonly events = new EventBus()
  private current: Active | null = null

  private constructor(
    readonly host: Host,
    readonly appState: AppState,
    private readonly workerPath: string,
    private readonly remember: boolean,
  ) {}

  static async create(opts: EngineOptions): Promise<Engine> {
    const appState = await AppState.load(opts.stateDir)
    return new Engine(opts.host, appState, opts.workerPath ?? defaultWorkerPath(), opts.rememberWorkspaces ?? true)
  }

  get workspace(): Workspace | null {
    return this.current?.workspace ?? null
  }

  /** The open workspace, or a clear error telling the user to open one. */
  requireWorkspace(): Active {
    if (!this.current) throw new AppError('no_workspace', 'No workspace is open. Create or open a workspace first.')
    return this.current
  }

  async createWorkspace(dir: string, name?: string): Promise<Workspace> {
    const ws = await Workspace.create(dir, name ? { name } : {})
    await this.activate(ws)
    return ws
  }

  async openWorkspace(dir: string): Promise<Workspace> {
    const ws = await Workspace.open(dir)
    await this.activate(ws)
    return ws
  }

  /** Reopens the workspace open at the last exit, if it still opens; otherwise starts with none. */
  async openLastWorkspace(): Promise<Workspace | null> {
    const last = this.appState.lastWorkspace
    if (!last) return null
    try {
      return await this.openWorkspace(last)
    } catch (err) {
      console.warn(`Could not reopen the last workspace ${last}: ${(err as Error).message}`)
      await this.appState.forgetLastWorkspace()
      return null
    }
  }

  async closeWorkspace(): Promise<boolean> {
    if (!this.current) return false
    await this.deactivate()
    if (this.remember) await this.appState.forgetLastWorkspace()
    this.events.emit('workspace:changed', null)
    return true
  }

  async shutdown(): Promise<void> {
    await this.deactivate()
  }

  private async activate(ws: Workspace): Promise<void> {
    await this.deactivate()
    const jobs = await JobRunner.open(ws.dir, ws.folder('jobs'), { workerPath: this.workerPath, events: this.events })
    this.current = { workspace: ws, jobs, corpus: new CorpusService(ws) }
    if (this.remember) await this.appState.rememberWorkspace(ws.dir, ws.name)
    this.events.emit('workspace:changed', await ws.info())
  }

  private async deactivate(): Promise<void> {
    if (!this.current) return
    const { workspace, jobs, corpus } = this.current
    this.current = null
    await jobs.close()
    corpus.close()
    workspace.close()
  }
}
