// Entry of an analysis thread (a worker_thread of the import job): analyses the chunks of documents it is
// sent, counting tokens with the tokenizer named in workerData, loaded once. See analyze-pool.ts.
import { parentPort, workerData } from 'node:worker_threads'
import { AppError, toErrorInfo } from '../../shared/errors'
import { analyze } from './analyze'
import type { AnalyzeReply, AnalyzeRequest, AnalyzeWorkerData } from './analyze-pool'
import { loadTokenCounter } from './token-counter'

const { tokenizerPath } = workerData as AnalyzeWorkerData
const counter = tokenizerPath
  ? loadTokenCounter(() => Promise.resolve(tokenizerPath)).then((c) => {
      // The job counts with this tokenizer and records its name: an estimate here would be mislabelled.
      if (c.problem) throw new AppError('internal', `An analysis thread could not load the tokenizer ${tokenizerPath}: ${c.problem}`)
      return c.count
    })
  : Promise.resolve(null)
counter.catch(() => {})

parentPort!.on('message', (req: AnalyzeRequest) => {
  void counter.then(
    (countTokens) => {
      let reply: AnalyzeReply
      try {
        const rows = req.docs.map((d) => {
          const row = analyze(d, { ...req.ctx, countTokens })
          row.text = ''
          return row
        })
        reply = { rows }
      } catch (err) {
        reply = { error: toErrorInfo(err) }
      }
      parentPort!.postMessage(reply)
    },
    (err: unknown) => parentPort!.postMessage({ error: toErrorInfo(err) } satisfies AnalyzeReply),
  )
})
