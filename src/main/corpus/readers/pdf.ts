// PDF reader: the text layer of every page through unpdf (PDF.js), NFKC-normalised, one document per file.
import { extractText, getDocumentProxy, getMeta } from 'unpdf'
import type { ReadItem } from '../types'
import { readAll } from './bytes'
import { MAX_WHOLE_FILE_BYTES, errorMessage, formatBytes, problem, textItem, type ReadContext } from './common'

function pdfFailure(err: unknown): string {
  const name = err instanceof Error ? err.name : ''
  if (name === 'PasswordException') return 'the PDF is encrypted with a password; remove the protection and import it again'
  return `damaged or unsupported PDF (${errorMessage(err)}); re-save or re-export it`
}

export async function* readPdf(chunks: AsyncIterable<Uint8Array>, ctx: ReadContext): AsyncGenerator<ReadItem> {
  const bytes = await readAll(chunks, MAX_WHOLE_FILE_BYTES)
  if (!bytes) {
    yield problem(ctx.where, 'oversize', `PDF over ${formatBytes(MAX_WHOLE_FILE_BYTES)}; split it before importing`)
    return
  }
  let pages: string[]
  let title: string | undefined
  try {
    // PDF.js takes ownership of (detaches) the buffer it is given, so hand it a copy.
    const pdf = await getDocumentProxy(new Uint8Array(bytes), { verbosity: 0 })
    try {
      pages = (await extractText(pdf, { mergePages: false })).text
      const info: unknown = (await getMeta(pdf)).info
      const raw = typeof info === 'object' && info !== null ? (info as Record<string, unknown>).Title : undefined
      title = typeof raw === 'string' && raw.trim() !== '' ? raw.trim().normalize('NFKC') : undefined
    } finally {
      await pdf.destroy()
    }
  } catch (err) {
    yield problem(ctx.where, 'unreadable', pdfFailure(err))
    return
  }
  // Without NFKC, CJK often comes out as Kangxi/compatibility radicals that no tokenizer expects.
  const text = pages.map((p) => p.trim()).filter((p) => p !== '').join('\n\n').normalize('NFKC')
  if (text === '') {
    yield problem(ctx.where, 'empty', 'the PDF has no text layer (a scan?); run OCR on it first')
    return
  }
  yield textItem(ctx, text, title === undefined ? { format: 'pdf' } : { format: 'pdf', title })
}
