// Test-only helpers for the reader tests: collecting reader output and hand-made PDF, zstd and zip files.
import { existsSync } from 'node:fs'
import path from 'node:path'
import yazl from 'yazl'
import type { ImportProblem, RawDocument, ReaderOptions } from '../types'
import { walkInputs, type InputFile } from './inputs'
import { readInput } from './read-input'

/** The shared real-data folder beside the checkout (absent outside the team). */
export const DATA = path.resolve(__dirname, '../../../../../shared/data')
export const HAVE_DATA = existsSync(DATA)

/** Records as JSONL text. */
export const jsonl = (records: unknown[]): string => records.map((r) => JSON.stringify(r)).join('\n') + '\n'

export interface Collected {
  docs: RawDocument[]
  problems: ImportProblem[]
  inputs: InputFile[]
}

/** Walks the paths and reads every input, gathering documents and problems in order. */
export async function collect(paths: string[], opts: Partial<ReaderOptions> = {}): Promise<Collected> {
  const out: Collected = { docs: [], problems: [], inputs: [] }
  const options: ReaderOptions = { maxChars: 1_000_000, ...opts }
  for await (const item of walkInputs(paths)) {
    if ('kind' in item) {
      out.problems.push(item)
      continue
    }
    out.inputs.push(item)
    for await (const r of readInput(item, options)) {
      if (r.type === 'doc') out.docs.push(r.doc)
      else out.problems.push(r.problem)
    }
  }
  return out
}

/** A PDF written by hand: one Helvetica text line per page, an Info dictionary with a title. */
export function makePdf(pages: string[], title: string): Buffer {
  const objects: string[] = []
  const pageIds = pages.map((_, i) => 5 + i * 2)
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>'
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'
  objects[4] = `<< /Title (${title}) >>`
  pages.forEach((text, i) => {
    const content = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`
    objects[5 + i * 2] =
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] ' +
      `/Resources << /Font << /F1 3 0 R >> >> /Contents ${6 + i * 2} 0 R >>`
    objects[6 + i * 2] = `<< /Length ${content.length} >>\nstream\n${content}\nendstream`
  })
  let body = '%PDF-1.4\n'
  const offsets: number[] = []
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = body.length
    body += `${id} 0 obj\n${objects[id]}\nendobj\n`
  }
  const xref = body.length
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`
  for (let id = 1; id < objects.length; id++) body += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 4 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(body, 'latin1')
}

/** A zstd frame holding `data` in one Raw_Block (no compression), which any decoder must accept. */
export function zstdRawFrame(data: Uint8Array): Buffer {
  if (data.length >= 128 * 1024) throw new Error('a single raw block holds at most 128 KiB')
  const magic = Buffer.from([0x28, 0xb5, 0x2f, 0xfd])
  // Frame_Header_Descriptor: Single_Segment (0x20) plus a 1-, 2- or 4-byte Frame_Content_Size.
  let header: Buffer
  if (data.length < 256) header = Buffer.from([0x20, data.length])
  else if (data.length < 65536 + 256) {
    header = Buffer.alloc(3)
    header[0] = 0x60
    header.writeUInt16LE(data.length - 256, 1)
  } else {
    header = Buffer.alloc(5)
    header[0] = 0xa0
    header.writeUInt32LE(data.length, 1)
  }
  // Block_Header: Last_Block = 1, Block_Type = Raw (0), Block_Size in the upper 21 bits.
  const blockHeader = Buffer.alloc(3)
  blockHeader.writeUIntLE((data.length << 3) | 1, 0, 3)
  return Buffer.concat([magic, header, blockHeader, data])
}

/**
 * A zip of `members`. yazl refuses unsafe names, so those are written under a same-length placeholder
 * and patched into the finished bytes (names are not covered by any checksum).
 */
export async function makeZip(members: Record<string, string | Uint8Array>): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  const patches: [string, string][] = []
  for (const [name, content] of Object.entries(members)) {
    let safe = name
    if (name.includes('..') || name.startsWith('/') || name.includes('\\')) {
      safe = name.replace(/[.\\/]/g, 'q')
      patches.push([safe, name])
    }
    zip.addBuffer(Buffer.from(content), safe)
  }
  zip.end()
  const chunks: Buffer[] = []
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer)
  let bytes = Buffer.concat(chunks)
  for (const [placeholder, real] of patches) {
    bytes = Buffer.from(bytes.toString('latin1').split(placeholder).join(real), 'latin1')
  }
  return bytes
}
