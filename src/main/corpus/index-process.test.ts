// The index process (a child of the import worker): its errors reach the caller with their code, and a
// stopped job stops it. Uses the built out/main/index-worker.js, as jobs do.
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/helpers/temp'
import { builtEntry } from '../util/built-entry'
import { JobStopped } from '../jobs/worker-protocol'
import { updateIndexesApart } from './index-process'

const tmp = tempDir()
afterAll(() => tmp.cleanup())
const entry = builtEntry('index-worker.js')

describe.skipIf(!entry)('updateIndexesApart', () => {
  it('reports the child process error with its code', async () => {
    const notWorkspace = path.join(tmp.dir, 'plain-folder')
    mkdirSync(notWorkspace)
    await expect(updateIndexesApart(notWorkspace, new AbortController().signal, entry)).rejects.toMatchObject({ code: 'not_a_workspace' })
  })

  it('stops the child when the job is stopped', async () => {
    const stop = new AbortController()
    const running = updateIndexesApart(path.join(tmp.dir, 'plain-folder'), stop.signal, entry)
    stop.abort()
    await expect(running).rejects.toBeInstanceOf(JobStopped)
  })
})
