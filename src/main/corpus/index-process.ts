// Search-index maintenance in a process of its own. The import worker keeps the memory its read phase used
// (V8 heap, native pages freed but not returned), and LanceDB's compaction and index builds need about
// 1.4 GB at 1M documents on top: in one process the peaks add up (2.1 GB measured), apart the import's
// peak is the larger of the two. Falls back to this process when the entry is not built (tests from sources).
import { fork } from 'node:child_process'
import { AppError, type ErrorInfo } from '../../shared/errors'
import { throwIfStopped } from '../jobs/worker-protocol'
import { builtEntry } from '../util/built-entry'
import { Workspace } from '../workspace/workspace'
import { DocumentStore } from './document-store'

export type IndexReply = { ok: true; peakMB: number } | { ok: false; error: ErrorInfo }

/** Brings the workspace's search indexes up to date; the index process's peak memory (MB), or null when done here. */
export async function updateIndexesApart(workspaceDir: string, signal: AbortSignal, entry = builtEntry('index-worker.js')): Promise<number | null> {
  if (!entry) {
    await updateIndexesHere(workspaceDir)
    return null
  }
  const child = fork(entry, [workspaceDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' })
  const stop = () => child.kill('SIGTERM')
  signal.addEventListener('abort', stop, { once: true })
  try {
    const reply = await new Promise<IndexReply | null>((resolve, reject) => {
      let got: IndexReply | null = null
      child.on('message', (m: IndexReply) => (got = m))
      child.on('error', reject)
      child.on('exit', () => resolve(got))
    })
    throwIfStopped(signal)
    if (!reply) throw new AppError('internal', 'The index process ended without a result (killed, or out of memory?).')
    if (!reply.ok) throw new AppError(reply.error.code, reply.error.message, reply.error.details)
    return reply.peakMB
  } finally {
    signal.removeEventListener('abort', stop)
  }
}

export async function updateIndexesHere(workspaceDir: string): Promise<void> {
  const ws = await Workspace.open(workspaceDir)
  const store = await DocumentStore.open(ws)
  try {
    await store.updateIndexes()
  } finally {
    store.close()
    ws.close()
  }
}
