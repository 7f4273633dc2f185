// One handler per contract channel: thin functions over the engine's services.
import type { Channel, ChannelOutput, ParsedInput } from '../shared/contract'
import { AppError } from '../shared/errors'
import { APP_NAME, APP_VERSION } from './app-version'
import path from 'node:path'
import { saveUploadChunk, uploadFolder } from './corpus/uploads'
import type { Engine } from './engine'
import { runOptions } from './train/run-options'
import { listRuns, readMetrics, runDir } from './train/run-files'

export type Handlers = { [C in Channel]: (input: ParsedInput<C>) => Promise<ChannelOutput<C>> }

export function createHandlers(engine: Engine): Handlers {
  const { host, appState } = engine
  return {
    'app:info': async () => ({
      name: APP_NAME,
      version: APP_VERSION,
      host: host.kind,
      canPickFolder: Boolean(host.pickFolder),
      stateDir: appState.dir,
    }),
    'app:preferences': async () => appState.preferences,
    'app:setPreferences': async (input) => {
      await appState.setPreferences(input)
      return appState.preferences
    },
    'app:pickFolder': async ({ title }) => {
      if (!host.pickFolder) throw new AppError('unsupported', 'This window cannot show a folder picker: type the folder path instead.')
      return { path: await host.pickFolder(title ?? 'Choose a folder') }
    },
    'app:openExternal': async ({ url }) => {
      if (!host.openExternal) return { opened: false }
      await host.openExternal(url)
      return { opened: true }
    },
    'workspace:current': async () => (engine.workspace ? engine.workspace.info() : null),
    'workspace:recent': async () => appState.recent,
    'workspace:create': async ({ path, name }) => (await engine.createWorkspace(path, name)).info(),
    'workspace:open': async ({ path }) => (await engine.openWorkspace(path)).info(),
    'workspace:close': async () => ({ closed: await engine.closeWorkspace() }),
    'jobs:list': async () => (engine.workspace ? engine.requireWorkspace().jobs.list() : []),
    'jobs:start': async (input) => engine.requireWorkspace().jobs.start(input),
    'jobs:cancel': async ({ id }) => engine.requireWorkspace().jobs.cancel(id),
    'jobs:pause': async ({ id }) => engine.requireWorkspace().jobs.pause(id),
    'jobs:resume': async ({ id }) => engine.requireWorkspace().jobs.resume(id),
    'jobs:log': async ({ id, tail }) => ({ lines: await engine.requireWorkspace().jobs.log(id, tail) }),
    'corpus:search': async ({ filter, sort, offset, limit }) => engine.requireWorkspace().corpus.search(filter, sort, offset, limit),
    'corpus:document': async ({ id }) => engine.requireWorkspace().corpus.document(id),
    'corpus:similar': async ({ id, limit }) => engine.requireWorkspace().corpus.similar(id, limit),
    'corpus:stats': async () => engine.requireWorkspace().corpus.stats(),
    'corpus:upload': async ({ uploadId, path: rel, offset, data }) => {
      const { workspace } = engine.requireWorkspace()
      return { bytes: await saveUploadChunk(workspace.folder('uploads'), uploadId, rel, offset, data) }
    },
    'corpus:importUpload': async ({ uploadId, source }) => {
      const { workspace, jobs } = engine.requireWorkspace()
      const dir = await uploadFolder(workspace.folder('uploads'), uploadId)
      return jobs.start({ kind: 'corpus-import', paths: [dir], source: source ?? path.basename(dir) })
    },
    'runs:list': async () => listRuns(engine.requireWorkspace().workspace.dir),
    'runs:metrics': async ({ id, from }) => {
      const points = await readMetrics(runDir(engine.requireWorkspace().workspace.dir, id))
      return { points: points.slice(from), next: points.length }
    },
    'runs:options': async () => runOptions(engine.requireWorkspace().workspace.dir),
  }
}
