// Reads one input file: counts raw bytes, decompresses (gzip, zstd) and dispatches to the format reader.
import { Readable, pipeline } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { Decompress } from 'fzstd'
import type { ReadItem, ReaderOptions, SourceFormat } from '../types'
import { readAll } from './bytes'
import { MAX_WHOLE_FILE_BYTES, formatBytes, ioReason, problem, type ReadContext, type Where } from './common'
import type { Compression } from './detect'
import { readHtml } from './html'
import type { InputFile } from './inputs'
import { readJson, readJsonl } from './jsonl'
import { fileAsyncBuffer, readParquet } from './parquet'
import { readPdf } from './pdf'
import { readText } from './text'
import { readWarc } from './warc'

/** Passes a stream's chunks through, reporting each chunk's size as it is consumed. */
export async function* countBytes(
  stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array>,
  onBytes: (n: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    onBytes(bytes.length)
    yield bytes
  }
}

function gunzip(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  // Node's gunzip continues across concatenated members, as WARC.gz (one member per record) needs.
  const out = createGunzip()
  // Errors destroy `out` too, so they surface in its iterator; the callback has nothing left to do.
  pipeline(Readable.from(source), out, () => undefined)
  return out
}

async function* unzstd(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const ready: Uint8Array[] = []
  const decoder = new Decompress((chunk) => {
    if (chunk.length > 0) ready.push(chunk)
  })
  for await (const chunk of source) {
    decoder.push(chunk)
    yield* ready.splice(0)
  }
  decoder.push(new Uint8Array(0), true)
  yield* ready.splice(0)
}

function decompress(source: AsyncIterable<Uint8Array>, compression: Compression): AsyncIterable<Uint8Array> {
  if (compression === 'gzip') return gunzip(source)
  if (compression === 'zstd') return unzstd(source)
  return source
}

async function* dispatch(format: SourceFormat, bytes: AsyncIterable<Uint8Array>, ctx: ReadContext): AsyncGenerator<ReadItem> {
  switch (format) {
    case 'jsonl':
      return yield* readJsonl(bytes, ctx)
    case 'json':
      return yield* readJson(bytes, ctx)
    case 'html':
      return yield* readHtml(bytes, ctx)
    case 'txt':
    case 'md':
      return yield* readText(bytes, ctx, format)
    case 'pdf':
      return yield* readPdf(bytes, ctx)
    case 'warc':
      return yield* readWarc(bytes, ctx)
    case 'parquet': {
      const all = await readAll(bytes, MAX_WHOLE_FILE_BYTES)
      if (all) return yield* readParquet(all, ctx)
      yield problem(ctx.where, 'oversize', `compressed or archived Parquet over ${formatBytes(MAX_WHOLE_FILE_BYTES)}; extract it first`)
    }
  }
}

/**
 * Every document and problem in one input, in order. Never throws for bad content: a file that cannot
 * be opened, or a stream that breaks midway, ends with one 'unreadable' problem.
 * `onBytes` receives the number of raw (still compressed) bytes each time more are read from disk.
 */
export async function* readInput(
  input: InputFile,
  opts: ReaderOptions,
  onBytes?: (n: number) => void,
): AsyncGenerator<ReadItem> {
  const where: Where = input.member === undefined ? { file: input.file } : { file: input.file, member: input.member }
  const ctx: ReadContext = { where, opts }
  if (opts.signal?.aborted) return
  let consumed = 0
  const count = (n: number): void => {
    consumed += n
    onBytes?.(n)
  }
  let raw: NodeJS.ReadableStream | undefined
  try {
    if (input.format === 'parquet' && input.member === undefined && input.compression === 'none') {
      // Parquet needs random access; reading through a handle keeps large shards off the heap.
      const { buffer, handle } = await fileAsyncBuffer(input.file, count)
      try {
        yield* readParquet(buffer, ctx)
      } finally {
        await handle.close()
      }
      return
    }
    raw = await input.open()
    yield* dispatch(input.format, decompress(countBytes(raw, count), input.compression), ctx)
  } catch (err) {
    const at = consumed > 0 ? `reading stopped after ${formatBytes(consumed)}: ` : ''
    yield problem(where, 'unreadable', `${at}${ioReason(err)}`)
  } finally {
    // Readers that stop early (abort, consumer break) leave the source unfinished; release its file handle.
    if (raw instanceof Readable) raw.destroy()
  }
}
