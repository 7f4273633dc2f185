// JSONL and JSON readers: line-by-line (or element-by-element) streaming with bounded memory.
import type { ReadItem } from '../types'
import { ByteStream, concatBytes } from './bytes'
import { errorMessage, maxRecordBytes, problem, type ReadContext } from './common'
import { recordToItem } from './record'

/** Splits on \n bytes ourselves: U+2028/U+2029 inside JSON strings are legal and must not end a record. */
export async function* readJsonl(chunks: AsyncIterable<Uint8Array>, ctx: ReadContext): AsyncGenerator<ReadItem> {
  yield* jsonLines(new ByteStream(chunks), ctx)
}

async function* jsonLines(stream: ByteStream, ctx: ReadContext, firstLine = 1): AsyncGenerator<ReadItem> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const limit = maxRecordBytes(ctx.opts)
  for (let line = firstLine; ; line++) {
    if (ctx.opts.signal?.aborted) return
    const l = await stream.readLine(limit)
    if (!l) return
    if (l.overlong) {
      yield problem(ctx.where, 'oversize', `line is ${l.length} bytes, too long for the character limit; skipped`, { line })
      continue
    }
    yield* parseOne(l.bytes, decoder, ctx, { line })
  }
}

function* parseOne(
  bytes: Uint8Array,
  decoder: TextDecoder,
  ctx: ReadContext,
  place: { line?: number; record?: number },
): Generator<ReadItem> {
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    yield problem(ctx.where, 'decode', 'not valid UTF-8; re-encode the file as UTF-8', place)
    return
  }
  if (text.trim() === '') return
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    yield problem(ctx.where, 'bad-record', `invalid JSON: ${errorMessage(err)}; fix or remove this record`, place)
    return
  }
  yield recordToItem(ctx, value, place.line !== undefined ? 'jsonl' : 'json', place)
}

/**
 * A `.json` file: a top-level array streamed element by element, a single object, or JSONL under a
 * .json name (Dolma ships JSONL as `*.json.gz`), told apart by content.
 */
export async function* readJson(chunks: AsyncIterable<Uint8Array>, ctx: ReadContext): AsyncGenerator<ReadItem> {
  const stream = new ByteStream(chunks)
  const first = await stream.peekNonSpace()
  if (first === 0x5b /* [ */) {
    yield* jsonArray(stream, ctx)
    return
  }
  if (first === undefined) {
    yield problem(ctx.where, 'empty', 'the file holds no JSON')
    return
  }
  // One object per line if the first line parses on its own; otherwise one (pretty-printed) object.
  const limit = maxRecordBytes(ctx.opts)
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let head = await stream.readLine(limit)
  let line = 1
  while (head && !head.overlong && decoder.decode(head.bytes).trim() === '') {
    head = await stream.readLine(limit)
    line++
  }
  let firstValue: unknown
  try {
    firstValue = head && !head.overlong ? JSON.parse(decoder.decode(head.bytes)) : undefined
  } catch {
    firstValue = undefined
  }
  if (firstValue !== undefined && head) {
    yield recordToItem(ctx, firstValue, 'jsonl', { line })
    yield* jsonLines(stream, ctx, line + 1)
    return
  }
  const parts: Uint8Array[] = head ? [head.bytes, new Uint8Array([0x0a])] : []
  let total = head ? head.bytes.length + 1 : 0
  for await (const chunk of stream.chunks()) {
    total += chunk.length
    if (total > limit) {
      yield problem(ctx.where, 'oversize', 'a single JSON object this large cannot be read; convert it to JSONL', { record: 0 })
      return
    }
    parts.push(chunk)
  }
  yield* parseOne(concatBytes(parts, total), decoder, ctx, { record: 0 })
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** Scans a top-level array, cutting out each element's bytes by tracking strings and nesting depth. */
async function* jsonArray(stream: ByteStream, ctx: ReadContext): AsyncGenerator<ReadItem> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const limit = maxRecordBytes(ctx.opts)
  let depth = 0
  let inString = false
  let escaped = false
  let parts: Uint8Array[] = []
  let size = 0
  let overlong = false
  let record = 0
  let closed = false

  function add(piece: Uint8Array): void {
    size += piece.length
    if (size > limit) overlong = true
    else if (piece.length > 0) parts.push(piece)
  }
  function* finish(): Generator<ReadItem> {
    if (overlong) {
      yield problem(ctx.where, 'oversize', `element is ${size} bytes, too long for the character limit; skipped`, { record })
    } else {
      yield* parseOne(concatBytes(parts, size), decoder, ctx, { record })
    }
    record++
  }

  for await (const chunk of stream.chunks()) {
    if (ctx.opts.signal?.aborted) return
    const items: ReadItem[] = []
    let start = 0
    for (let i = 0; i < chunk.length && !closed; i++) {
      const b = chunk[i]
      if (inString) {
        if (escaped) escaped = false
        else if (b === BACKSLASH) escaped = true
        else if (b === QUOTE) inString = false
        continue
      }
      if (b === QUOTE) inString = true
      else if (b === 0x7b || b === 0x5b) {
        depth++
        if (depth === 1) {
          // The array's own '[': whatever came before it is not part of an element.
          parts = []
          size = 0
          start = i + 1
        }
      } else if (b === 0x7d || b === 0x5d || b === 0x2c) {
        if (b !== 0x2c) depth--
        if (depth === 0 || (depth === 1 && b === 0x2c)) {
          add(chunk.subarray(start, i))
          items.push(...finish())
          parts = []
          size = 0
          overlong = false
          start = i + 1
          closed = depth === 0
        }
      }
    }
    if (!closed) add(chunk.subarray(start))
    for (const item of items) {
      if (ctx.opts.signal?.aborted) return
      yield item
    }
    if (closed) return
  }
  if (!closed) yield problem(ctx.where, 'bad-record', 'the JSON array is cut short (no closing "]"); the file may be truncated', { record })
}
