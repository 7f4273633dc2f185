// Plain text and Markdown reader: one document per file, or per entry in a `%`-separated fortune file.
import type { ReadItem, SourceFormat } from '../types'
import { readAll } from './bytes'
import { MAX_WHOLE_FILE_BYTES, formatBytes, problem, textItem, type ReadContext } from './common'

/** Terminal colour and cursor codes (CSI and OSC sequences, then any stray two-byte escapes). */
// eslint-disable-next-line no-control-regex -- escape sequences are control characters by definition
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]/g

/** UTF-8 (BOM or not), UTF-16 with a BOM, then GB18030 — the legacy encoding Chinese text files most often use. */
function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes)
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes)
  for (const label of ['utf-8', 'gb18030']) {
    try {
      return new TextDecoder(label, { fatal: true }).decode(bytes)
    } catch {
      // not this encoding; try the next
    }
  }
  return undefined
}

function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(ANSI, '')
}

/** fortune(6) files hold short entries separated by lines of a single `%`. */
function fortuneEntries(text: string): string[] | undefined {
  const parts = text.split(/^%[ \t]*$/m)
  return parts.length > 2 ? parts.map((p) => p.replace(/^\n+|\s+$/g, '')) : undefined
}

function markdownTitle(text: string): string | undefined {
  return /^#\s+(.+?)\s*#*\s*$/m.exec(text.slice(0, 4096))?.[1]
}

export async function* readText(
  chunks: AsyncIterable<Uint8Array>,
  ctx: ReadContext,
  format: Extract<SourceFormat, 'txt' | 'md'>,
): AsyncGenerator<ReadItem> {
  const bytes = await readAll(chunks, MAX_WHOLE_FILE_BYTES)
  if (!bytes) {
    yield problem(ctx.where, 'oversize', `text file over ${formatBytes(MAX_WHOLE_FILE_BYTES)}; split it before importing`)
    return
  }
  const decoded = decodeText(bytes)
  if (decoded === undefined) {
    yield problem(ctx.where, 'decode', 'neither UTF-8, UTF-16 nor GB18030 text; re-encode the file as UTF-8')
    return
  }
  const text = cleanText(decoded)
  const entries = fortuneEntries(text)
  if (!entries) {
    const title = format === 'md' ? markdownTitle(text) : undefined
    yield textItem(ctx, text.trim(), title === undefined ? { format } : { format, title })
    return
  }
  for (const [record, entry] of entries.entries()) {
    if (ctx.opts.signal?.aborted) return
    if (entry !== '') yield textItem(ctx, entry, { format }, { record })
  }
}
