// Format detection: from the file name (extension, .gz/.zst wrappers) or, failing that, the first bytes.
import path from 'node:path'
import type { SourceFormat } from '../types'

export type Compression = 'none' | 'gzip' | 'zstd'

export type Detected = { format: SourceFormat | 'zip'; compression: Compression } | { unsupported: string }

const EXTENSIONS: Record<string, SourceFormat | 'zip'> = {
  html: 'html', htm: 'html', xhtml: 'html',
  jsonl: 'jsonl', ndjson: 'jsonl', json: 'json',
  parquet: 'parquet', pdf: 'pdf', warc: 'warc', zip: 'zip',
  txt: 'txt', text: 'txt', md: 'md', markdown: 'md',
}
/** Formats that may come wrapped in .gz/.zst; the others carry their own compression. */
const COMPRESSIBLE = new Set<SourceFormat | 'zip'>(['jsonl', 'json', 'warc'])

/** Format from the file name; undefined when the name says nothing and the content must be sniffed. */
export function detectFormat(name: string): Detected | undefined {
  const lower = name.toLowerCase()
  const outer = path.extname(lower).slice(1)
  const compression = outer === 'gz' ? 'gzip' : outer === 'zst' ? 'zstd' : 'none'
  const inner = compression === 'none' ? outer : path.extname(lower.slice(0, -outer.length - 1)).slice(1)
  if (inner === 'arc') return { unsupported: 'ARC (pre-WARC) crawl archives are not supported; convert them to WARC' }
  const format = EXTENSIONS[inner]
  if (compression === 'none') return format ? { format, compression } : undefined
  if (format && COMPRESSIBLE.has(format)) return { format, compression }
  return { unsupported: `${inner ? `.${inner}` : 'unnamed content'} in .${outer} is not supported; name it .jsonl.${outer}, .json.${outer} or .warc.${outer}` }
}

const SUPPORTED = '; supported: HTML, JSONL, JSON, Parquet, TXT, Markdown, PDF, WARC and .zip archives of them'

/** Looks at the first bytes of a file without a telling extension. */
export function sniffFormat(head: Uint8Array): Detected {
  const ascii = Buffer.from(head.buffer, head.byteOffset, head.length).toString('latin1')
  if (ascii.startsWith('%PDF-')) return { format: 'pdf', compression: 'none' }
  if (ascii.startsWith('PAR1')) return { format: 'parquet', compression: 'none' }
  if (ascii.startsWith('WARC/')) return { format: 'warc', compression: 'none' }
  // Office documents, EPUB and JAR files are zips too; only files named .zip are expanded.
  if (ascii.startsWith('PK\x03\x04')) return { unsupported: `a zip-based document format that is not supported${SUPPORTED}` }
  if (ascii.startsWith('\x1f\x8b') || ascii.startsWith('\x28\xb5\x2f\xfd')) {
    return { unsupported: 'compressed data without a telling name; name it .jsonl.gz, .json.gz or .warc.gz (.zst likewise)' }
  }
  if (/^(\xef\xbb\xbf)?\s*<(!doctype\s+html|html|head|body|meta|title)\b/i.test(ascii)) return { format: 'html', compression: 'none' }
  if (head.includes(0)) return { unsupported: `binary content of an unknown format${SUPPORTED}` }
  try {
    // stream: true tolerates a character cut in half at the end of the sample.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true })
    return { format: 'txt', compression: 'none' }
  } catch {
    return { unsupported: `neither a known format nor UTF-8 text${SUPPORTED}` }
  }
}

const SNIFF_BYTES = 4096

export async function readHead(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const parts: Buffer[] = []
  let total = 0
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    parts.push(buf)
    total += buf.length
    if (total >= SNIFF_BYTES) break // leaving the loop destroys the stream
  }
  return Buffer.concat(parts).subarray(0, SNIFF_BYTES)
}

