// Training data as token files: documents from the corpus tokenized once per run (EOS between documents),
// split into train and held-out by document id, then read back as packed windows in a seeded order.
import { promises as fs, openSync, readSync, closeSync } from 'node:fs'
import path from 'node:path'
import type { DocFilter } from '../../shared/corpus'
import { AppError } from '../../shared/errors'
import { DocumentStore, whereClause } from '../corpus/document-store'
import type { Tokenizer } from '../tokenizer/tokenizer'
import { throwIfStopped } from '../jobs/worker-protocol'
import { Workspace } from '../workspace/workspace'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-write'
import { Rng, fnv1a, mixSeed } from '../util/prng'

export interface TokenFiles {
  dir: string
  /** Bytes per token id in the files (2 when the vocabulary fits 16 bits). */
  bytesPerToken: 2 | 4
  trainTokens: number
  heldOutTokens: number
  documents: number
  heldOutDocuments: number
}

const META = 'tokens.json'
const HELD_OUT_MIN_DOCUMENTS = 32
const TRAIN_MIN_DOCUMENTS = 1_000

/** Whether a document id belongs to the held-out split: a hash of the id, so the split never depends on order. */
export function isHeldOut(id: string, fraction: number): boolean {
  return fnv1a(id) / 4294967296 < fraction
}

/**
 * The documents a run reads, chosen before any text is read: each split's documents (by id hash) in a seeded
 * random order until their stored token counts reach the wanted amount (with a margin, since stored counts may
 * be estimates), so a budget smaller than the corpus samples all of it rather than its first files.
 */
async function chooseDocuments(store: DocumentStore, where: string | null, o: PrepareOptions): Promise<Set<string>> {
  let q = store.docs.query().select(['id', 'tokens'])
  if (where) q = q.where(where)
  const train: { id: string; tokens: number }[] = []
  const held: { id: string; tokens: number }[] = []
  for await (const batch of q) {
    for (const row of batch.toArray() as unknown as { id: string; tokens: number }[]) {
      ;(isHeldOut(row.id, o.heldOutFraction) ? held : train).push({ id: row.id, tokens: Number(row.tokens) })
    }
  }
  const chosen = new Set<string>()
  const take = (docs: { id: string; tokens: number }[], wanted: number, salt: number, minDocs: number): void => {
    docs.sort((a, b) => (a.id < b.id ? -1 : 1))
    const order = new Rng(mixSeed(o.seed, salt)).permutation(docs.length)
    let tokens = 0
    let count = 0
    for (const i of order) {
      if (tokens >= wanted * 1.25 && count >= minDocs) break
      const d = docs[i]!
      chosen.add(d.id)
      tokens += d.tokens
      count++
    }
  }
  // Enough documents on both sides that a short run sees (and is judged on) the whole corpus, not a few pages.
  take(train, o.trainTokensWanted, 1, TRAIN_MIN_DOCUMENTS)
  take(held, o.heldOutTokensWanted, 2, HELD_OUT_MIN_DOCUMENTS)
  return chosen
}

export interface PrepareOptions {
  workspaceDir: string
  filter: DocFilter
  tokenizer: Tokenizer
  heldOutFraction: number
  /** Stop reading the corpus once both splits hold this many tokens. */
  trainTokensWanted: number
  heldOutTokensWanted: number
  /** Seeds the choice of documents. */
  seed: number
  dir: string
  signal: AbortSignal
  progress(documents: number, tokens: number): void
}

/** Tokenizes the filtered corpus into train.bin and heldout.bin, or returns the files a previous attempt finished. */
export async function prepareTokenFiles(o: PrepareOptions): Promise<TokenFiles> {
  const done = (await readJsonIfExists(path.join(o.dir, META))) as TokenFiles | undefined
  if (done) return { ...done, dir: o.dir }
  if (o.filter.query) throw new AppError('invalid_input', 'Training data is chosen with filters (language, source, quality…), not a full-text query: clear the search box.')
  const eos = o.tokenizer.eosId
  if (eos === null) throw new AppError('invalid_input', `Tokenizer ${o.tokenizer.name} has no end-of-sequence token to separate documents.`)
  const ws = await Workspace.open(o.workspaceDir)
  const store = await DocumentStore.openIfExists(ws)
  if (!store) throw new AppError('not_found', 'This workspace has no documents yet: import a corpus before training.')
  await fs.mkdir(o.dir, { recursive: true })
  const bytesPerToken = o.tokenizer.vocabSize <= 65_536 ? 2 : 4
  const train = new TokenWriter(path.join(o.dir, 'train.bin'), bytesPerToken)
  const heldOut = new TokenWriter(path.join(o.dir, 'heldout.bin'), bytesPerToken)
  let documents = 0
  let heldOutDocuments = 0
  try {
    const where = whereClause(o.filter)
    const chosen = await chooseDocuments(store, where, o)
    let q = store.docs.query().select(['id', 'text'])
    if (where) q = q.where(where)
    for await (const batch of q) {
      for (const row of batch.toArray() as unknown as { id: string; text: string }[]) {
        throwIfStopped(o.signal)
        if (!chosen.has(row.id)) continue
        const held = isHeldOut(row.id, o.heldOutFraction)
        const out = held ? heldOut : train
        const ids = o.tokenizer.encode(row.text)
        ids.push(eos)
        await out.write(ids)
        documents++
        if (held) heldOutDocuments++
        if (documents % 200 === 0) o.progress(documents, train.tokens + heldOut.tokens)
      }
    }
  } finally {
    await train.close()
    await heldOut.close()
    store.close()
  }
  if (train.tokens === 0) throw new AppError('invalid_input', 'No documents match the training filter: widen it or import a corpus.')
  if (heldOut.tokens === 0) throw new AppError('invalid_input', `None of the ${documents} documents fell in the held-out split: raise heldOutFraction or import more documents.`)
  const files: TokenFiles = { dir: o.dir, bytesPerToken, trainTokens: train.tokens, heldOutTokens: heldOut.tokens, documents, heldOutDocuments }
  await writeJsonAtomic(path.join(o.dir, META), files)
  return files
}

class TokenWriter {
  tokens = 0
  private handle: Promise<fs.FileHandle>

  constructor(
    file: string,
    private readonly bytesPerToken: 2 | 4,
  ) {
    this.handle = fs.open(file, 'w')
  }

  async write(ids: number[]): Promise<void> {
    const arr = this.bytesPerToken === 2 ? Uint16Array.from(ids) : Uint32Array.from(ids)
    await (await this.handle).write(new Uint8Array(arr.buffer))
    this.tokens += ids.length
  }

  async close(): Promise<void> {
    const h = await this.handle
    await h.sync()
    await h.close()
  }
}

/** Reads windows of seqLen+1 tokens from a token file: inputs are the first seqLen, targets the last seqLen. */
export class WindowReader {
  private readonly fd: number
  readonly windows: number
  /** Reused for every read: windows are read one at a time in the training loop. */
  private readonly bytes: Buffer

  constructor(
    private readonly file: string,
    private readonly bytesPerToken: 2 | 4,
    tokens: number,
    private readonly seqLen: number,
  ) {
    this.fd = openSync(file, 'r')
    // Consecutive windows share one token: the last target of window w is the first input of window w+1.
    this.windows = Math.floor((tokens - 1) / seqLen)
    if (this.windows < 1) throw new AppError('invalid_input', `${path.basename(file)} holds ${tokens} tokens, fewer than one sequence of ${seqLen + 1}: lower the sequence length or add documents.`)
    this.bytes = Buffer.alloc((seqLen + 1) * bytesPerToken)
  }

  /** Token ids of window w: seqLen + 1 of them. */
  window(w: number): Int32Array {
    const n = this.seqLen + 1
    const buf = this.bytes
    readSync(this.fd, buf, 0, buf.length, w * this.seqLen * this.bytesPerToken)
    const ids = this.bytesPerToken === 2 ? new Uint16Array(buf.buffer, buf.byteOffset, n) : new Uint32Array(buf.buffer, buf.byteOffset, n)
    return Int32Array.from(ids)
  }

  close(): void {
    closeSync(this.fd)
  }
}

/** The order windows are drawn in: a fresh seeded permutation every epoch, so sequence g is a pure function of (seed, g). */
export class WindowOrder {
  private epoch = -1
  private perm: Uint32Array = new Uint32Array(0)

  constructor(
    private readonly seed: number,
    private readonly windows: number,
  ) {}

  /** The window of the g-th sequence drawn in the run. */
  window(g: number): number {
    const epoch = Math.floor(g / this.windows)
    if (epoch !== this.epoch) {
      this.perm = new Rng(mixSeed(this.seed, epoch)).permutation(this.windows)
      this.epoch = epoch
    }
    return this.perm[g % this.windows]!
  }
}

/** A batch of `batch` sequences starting at sequence g: inputs and targets as flat [batch * seqLen] arrays. */
export function readBatch(reader: WindowReader, order: WindowOrder, g: number, batch: number, seqLen: number): { inputs: Int32Array; targets: Int32Array } {
  return readWindows(reader, batch, seqLen, (b) => order.window(g + b))
}

/** `count` windows (the i-th is window `pick(i)`) as flat [count * seqLen] inputs and targets. */
export function readWindows(reader: WindowReader, count: number, seqLen: number, pick: (i: number) => number): { inputs: Int32Array; targets: Int32Array } {
  const inputs = new Int32Array(count * seqLen)
  const targets = new Int32Array(count * seqLen)
  for (let i = 0; i < count; i++) {
    const w = reader.window(pick(i))
    inputs.set(w.subarray(0, seqLen), i * seqLen)
    targets.set(w.subarray(1), i * seqLen)
  }
  return { inputs, targets }
}
