// Runs analyze() on a pool of worker threads (analyze-worker.ts): documents go out in chunks, each thread
// loads the workspace tokenizer once, and every chunk's rows come back as one promise, so a caller that
// awaits them in submission order keeps the documents' order.
import os from 'node:os'
import { Worker } from 'node:worker_threads'
import { AppError, type ErrorInfo } from '../../shared/errors'
import { type AnalyzeContext, analyze } from './analyze'
import type { DocumentRow } from './document-schema'
import type { TokenCounter } from './token-counter'
import type { RawDocument } from './types'
import { builtEntry } from '../util/built-entry'

/** What a chunk is analysed with; the token counter is each thread's own. */
export type ChunkContext = Omit<AnalyzeContext, 'countTokens'>

export interface AnalyzeWorkerData {
  /** The tokenizer file to count tokens with; null: estimates. */
  tokenizerPath: string | null
}
export interface AnalyzeRequest {
  docs: RawDocument[]
  ctx: ChunkContext
}
/** Rows without their text (the sender has it): the text is the largest part and need not cross back. */
export type AnalyzeReply = { rows: DocumentRow[] } | { error: ErrorInfo }

export interface Analyzer {
  readonly threads: number
  /** The rows of these documents, in their order. */
  analyze(docs: RawDocument[], ctx: ChunkContext): Promise<DocumentRow[]>
  close(): Promise<void>
}

/** Threads for the analysis: $CPT_STUDIO_ANALYZE_THREADS, else one per CPU; at least 1. */
export function analyzeThreads(): number {
  const env = Number.parseInt(process.env.CPT_STUDIO_ANALYZE_THREADS ?? '', 10)
  return Number.isFinite(env) && env >= 1 ? env : Math.max(1, os.availableParallelism())
}

/** A pool of `threads` analysis threads counting with `counter`'s tokenizer; on this thread when the entry is not built. */
export function openAnalyzer(counter: TokenCounter, threads = analyzeThreads(), file = builtEntry('analyze-worker.js')): Analyzer {
  if (!file) return new InlineAnalyzer(counter)
  return new AnalyzePool(threads, file, { tokenizerPath: counter.path })
}

class InlineAnalyzer implements Analyzer {
  readonly threads = 0
  constructor(private readonly counter: TokenCounter) {}

  analyze(docs: RawDocument[], ctx: ChunkContext): Promise<DocumentRow[]> {
    try {
      return Promise.resolve(docs.map((d) => analyze(d, { ...ctx, countTokens: this.counter.count })))
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

interface Task {
  req: AnalyzeRequest
  resolve: (rows: DocumentRow[]) => void
  reject: (err: Error) => void
}

class AnalyzePool implements Analyzer {
  private readonly workers: Worker[] = []
  private readonly idle: Worker[] = []
  private readonly running = new Map<Worker, Task>()
  private readonly queue: Task[] = []
  private failure: Error | null = null
  private closed = false

  constructor(
    readonly threads: number,
    file: string,
    data: AnalyzeWorkerData,
  ) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(file, { workerData: data })
      w.on('message', (msg: AnalyzeReply) => this.reply(w, msg))
      w.on('error', (err) => this.fail(err))
      w.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`An analysis thread stopped (exit code ${code})`))
      })
      this.workers.push(w)
      this.idle.push(w)
    }
  }

  analyze(docs: RawDocument[], ctx: ChunkContext): Promise<DocumentRow[]> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.closed) return Promise.reject(new Error('The analysis threads are closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ req: { docs, ctx }, resolve, reject })
      this.pump()
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.rejectAll(this.failure ?? new Error('The analysis threads are closed'))
    await Promise.all(this.workers.map((w) => w.terminate()))
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!
      const task = this.queue.shift()!
      this.running.set(w, task)
      w.postMessage(task.req)
    }
  }

  private reply(w: Worker, msg: AnalyzeReply): void {
    const task = this.running.get(w)
    if (!task) return
    this.running.delete(w)
    this.idle.push(w)
    if ('error' in msg) task.reject(new AppError(msg.error.code, msg.error.message, msg.error.details))
    else {
      // The text stayed here: put it back.
      const { docs } = task.req
      for (let i = 0; i < msg.rows.length; i++) msg.rows[i]!.text = docs[i]!.text
      task.resolve(msg.rows)
    }
    this.pump()
  }

  private fail(err: Error): void {
    if (this.failure) return
    this.failure = err
    this.rejectAll(err)
    void this.close()
  }

  private rejectAll(err: Error): void {
    for (const task of [...this.running.values(), ...this.queue]) task.reject(err)
    this.running.clear()
    this.queue.length = 0
  }
}
