// WARC reader: streams record by record, keeps 2xx HTML responses (and text/html resources) as documents.
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'
import type { ReadItem } from '../types'
import { ByteStream, concatBytes } from './bytes'
import { errorMessage, maxRecordBytes, problem, textItem, type ReadContext } from './common'
import { decodeHtml, htmlToDocument } from './html'

const MAX_HEADER_LINE = 64 * 1024
const MAX_HEADER_LINES = 500
const latin1 = new TextDecoder('latin1')

function parseHeaders(lines: string[]): Map<string, string> {
  const headers = new Map<string, string>()
  let last = ''
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`)
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    last = line.slice(0, colon).trim().toLowerCase()
    headers.set(last, line.slice(colon + 1).trim())
  }
  return headers
}

function isHtmlType(contentType: string | undefined): boolean {
  return /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType ?? '')
}

function charsetOf(contentType: string | undefined): string | undefined {
  return /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1]
}

function indexOfBytes(hay: Uint8Array, needle: number[], from = 0): number {
  for (let i = from; i <= hay.length - needle.length; i++) {
    if (needle.every((b, j) => hay[i + j] === b)) return i
  }
  return -1
}

function dechunk(body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = []
  let total = 0
  let at = 0
  for (;;) {
    const eol = indexOfBytes(body, [0x0d, 0x0a], at)
    if (eol < 0) break
    const size = parseInt(latin1.decode(body.subarray(at, eol)).split(';')[0] ?? '', 16)
    if (!Number.isFinite(size) || size <= 0) break
    parts.push(body.subarray(eol + 2, eol + 2 + size))
    total += Math.min(size, body.length - eol - 2)
    at = eol + 2 + size + 2
  }
  return concatBytes(parts, total)
}

interface HttpHead {
  headers: Map<string, string>
  bodyStart: number
}

/** Status line and headers of an HTTP response, when it is a 2xx HTML page; undefined for anything else. */
function htmlResponseHead(block: Uint8Array): HttpHead | undefined {
  const head = block.subarray(0, MAX_HEADER_LINE)
  let split = indexOfBytes(head, [0x0d, 0x0a, 0x0d, 0x0a])
  let sepLen = 4
  if (split < 0) {
    split = indexOfBytes(head, [0x0a, 0x0a])
    sepLen = 2
  }
  if (split < 0) return undefined
  const [status = '', ...lines] = latin1.decode(block.subarray(0, split)).split(/\r?\n/)
  if (!/^HTTP\/\S+\s+2\d\d\b/.test(status)) return undefined
  const headers = parseHeaders(lines)
  const type = headers.get('content-type')
  const bodyStart = split + sepLen
  // Without a Content-Type, a body that opens with markup is taken for HTML.
  const html = type === undefined ? /^\s*</.test(latin1.decode(block.subarray(bodyStart, bodyStart + 64))) : isHtmlType(type)
  return html ? { headers, bodyStart } : undefined
}

/** The HTTP body with transfer and content encodings undone. */
function httpBody(block: Uint8Array, { headers, bodyStart }: HttpHead): Uint8Array {
  let body = block.subarray(bodyStart)
  if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) body = dechunk(body)
  const encoding = (headers.get('content-encoding') ?? '').toLowerCase()
  if (encoding === 'gzip' || encoding === 'x-gzip') return gunzipSync(body)
  if (encoding === 'deflate') return inflateSync(body)
  if (encoding === 'br') return brotliDecompressSync(body)
  return body
}

export async function* readWarc(chunks: AsyncIterable<Uint8Array>, ctx: ReadContext): AsyncGenerator<ReadItem> {
  const stream = new ByteStream(chunks)
  const limit = maxRecordBytes(ctx.opts)
  for (let record = 0; ; record++) {
    if (ctx.opts.signal?.aborted) return
    // Records are separated by blank lines; skip them to land on the version line.
    let offset = stream.offset
    let version = await stream.readLine(MAX_HEADER_LINE)
    while (version && !version.overlong && version.bytes.length === 0) {
      offset = stream.offset
      version = await stream.readLine(MAX_HEADER_LINE)
    }
    if (!version) return
    if (version.overlong || !latin1.decode(version.bytes).startsWith('WARC/')) {
      yield problem(ctx.where, 'bad-record', `no WARC record header at byte ${offset}; the file is damaged or not WARC`, { record, offset })
      return
    }
    const lines: string[] = []
    let line = await stream.readLine(MAX_HEADER_LINE)
    while (line && !line.overlong && line.bytes.length > 0 && lines.length < MAX_HEADER_LINES) {
      lines.push(latin1.decode(line.bytes))
      line = await stream.readLine(MAX_HEADER_LINE)
    }
    const headers = parseHeaders(lines)
    const length = Number(headers.get('content-length'))
    if (!line || line.overlong || line.bytes.length > 0 || !Number.isSafeInteger(length) || length < 0) {
      const why = !line ? 'its headers are cut short (truncated file)' : 'its headers are damaged or lack Content-Length'
      yield problem(ctx.where, 'bad-record', `WARC record at byte ${offset}: ${why}`, { record, offset })
      return
    }
    const type = headers.get('warc-type')
    const wanted = type === 'response' || (type === 'resource' && isHtmlType(headers.get('content-type')))
    const keep = length <= limit
    // An oversized record is skipped unbuffered, after a look at its HTTP headers to tell if it was a page.
    const first = await stream.read(wanted ? (keep ? length : Math.min(length, MAX_HEADER_LINE)) : 0, wanted)
    const rest = await stream.read(length - first.got, false)
    if (first.got + rest.got < length) {
      const got = first.got + rest.got
      yield problem(ctx.where, 'bad-record', `WARC record at byte ${offset} is truncated: ${got} of ${length} bytes`, { record, offset })
      return
    }
    if (!wanted) continue
    const head = type === 'response' ? htmlResponseHead(first.bytes) : undefined
    if (type === 'response' && !head) continue
    const place = { record, offset }
    const url = headers.get('warc-target-uri')?.replace(/^<(.*)>$/, '$1')
    if (!keep) {
      yield problem(ctx.where, 'oversize', `HTML page of ${length} bytes${url ? ` (${url})` : ''} is too large to extract; skipped`, place)
      continue
    }
    let html: Uint8Array
    try {
      html = head ? httpBody(first.bytes, head) : first.bytes
    } catch (err) {
      yield problem(ctx.where, 'bad-record', `cannot decode the HTTP body${url ? ` of ${url}` : ''}: ${errorMessage(err)}`, place)
      continue
    }
    const charset = charsetOf(head ? head.headers.get('content-type') : headers.get('content-type'))
    const { title, text } = htmlToDocument(decodeHtml(html, charset), url)
    const fields: Parameters<typeof textItem>[2] = { format: 'warc' }
    if (title !== undefined) fields.title = title
    if (url !== undefined) fields.url = url
    yield textItem(ctx, text, fields, place)
  }
}
