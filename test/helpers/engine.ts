// A real engine on a fresh workspace, with app state kept in a temporary folder.
import path from 'node:path'
import { Engine } from '../../src/main/engine'
import { tempDir } from './temp'

export async function engineWithWorkspace(): Promise<{ engine: Engine; dir: string; cleanup: () => Promise<void> }> {
  const tmp = tempDir()
  const engine = await Engine.create({ host: { kind: 'web' }, stateDir: path.join(tmp.dir, 'state') })
  const dir = path.join(tmp.dir, 'ws')
  await engine.createWorkspace(dir)
  return {
    engine,
    dir,
    cleanup: async () => {
      await engine.shutdown()
      tmp.cleanup()
    },
  }
}
