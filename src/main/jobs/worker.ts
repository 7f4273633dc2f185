// Entry of a job's worker process: runs one job, reports progress and logs, stops on request.
import { toErrorInfo } from '../../shared/errors'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-write'
import { jobKind } from './job-kinds'
import { ProgressMeter } from './progress-meter'
import { ContinueInNewProcess, type FromWorker, type JobContext, JobStopped, type ToWorker } from './worker-protocol'
import { peakMemoryMB } from '../util/peak-memory'

const controller = new AbortController()

function send(msg: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve()
    process.send?.(msg, undefined, {}, () => resolve())
  })
}

async function start(msg: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const spec = jobKind(msg.kind)
  if (!spec) {
    await send({ type: 'error', error: { code: 'unsupported', message: `Unknown job kind "${msg.kind}"` } })
    return
  }
  const meter = new ProgressMeter((progress) => void send({ type: 'progress', progress }))
  const ctx: JobContext<never> = {
    jobId: msg.jobId,
    workspaceDir: msg.workspaceDir,
    signal: controller.signal,
    state: (await readJsonIfExists(msg.statePath).catch(() => undefined)) as never,
    saveState: (state) => writeJsonAtomic(msg.statePath, state),
    progress: (u) => meter.update(u),
    log: (line) => void send({ type: 'log', line }),
  }
  // Peak memory of this worker, so a user (and the benchmarks) can see what a job needed.
  const logPeak = () => send({ type: 'log', line: `Peak memory: ${peakMemoryMB()} MB` })
  try {
    const result = await spec.run(msg.input as never, ctx)
    meter.flush()
    await logPeak()
    await send({ type: 'done', result: result ?? null })
  } catch (err) {
    meter.flush()
    if (err instanceof JobStopped || controller.signal.aborted) await send({ type: 'stopped' })
    else if (err instanceof ContinueInNewProcess) await logPeak().then(() => send({ type: 'continue' }))
    else await send({ type: 'error', error: toErrorInfo(err) })
  }
}

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'start') {
    // Exit explicitly: open handles (database connections) must not keep a finished worker alive.
    void start(msg).finally(() => process.exit(0))
  } else if (msg.type === 'stop') {
    controller.abort(msg.reason)
  }
})
// The runner going away (crash, kill -9) must not leave an orphan doing work nobody records.
process.on('disconnect', () => {
  if (!controller.signal.aborted) controller.abort('shutdown')
  setTimeout(() => process.exit(0), 2000)
})
