// Parquet reader (Hugging Face dataset shards): row group by row group, text column chosen like JSONL.
import { open, type FileHandle } from 'node:fs/promises'
import { parquetMetadataAsync, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData, type ParquetRow } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import type { ReadItem } from '../types'
import { errorMessage, problem, type ReadContext } from './common'
import { recordToItem, textFieldCandidates } from './record'

/** Columns besides the text that map onto document fields. */
const EXTRA_COLUMNS = ['id', 'url', 'source', 'title', 'metadata']

function bufferAsync(bytes: Uint8Array): AsyncBuffer {
  return {
    byteLength: bytes.length,
    slice: (start, end) => bytes.slice(start, end).buffer,
  }
}

/** Random access into a file on disk, so a multi-gigabyte shard is never held in memory whole. */
export async function fileAsyncBuffer(
  file: string,
  onBytes?: (n: number) => void,
): Promise<{ buffer: AsyncBuffer; handle: FileHandle }> {
  const handle = await open(file, 'r')
  const { size } = await handle.stat()
  const buffer: AsyncBuffer = {
    byteLength: size,
    async slice(start, end = size) {
      const out = new Uint8Array(Math.max(0, end - start))
      const { bytesRead } = await handle.read(out, 0, out.length, start)
      onBytes?.(bytesRead)
      return bytesRead === out.length ? out.buffer : out.buffer.slice(0, bytesRead)
    },
  }
  return { buffer, handle }
}

/** Reads a Parquet file held in memory (`Uint8Array`) or reachable by random access (`AsyncBuffer`). */
export async function* readParquet(source: Uint8Array | AsyncBuffer, ctx: ReadContext): AsyncGenerator<ReadItem> {
  const file = source instanceof Uint8Array ? bufferAsync(source) : source
  let metadata: FileMetaData
  try {
    metadata = await parquetMetadataAsync(file)
  } catch (err) {
    yield problem(ctx.where, 'unreadable', `not a readable Parquet file (${errorMessage(err)})`)
    return
  }
  const names = parquetSchema(metadata).children.map((c) => c.element.name)
  const candidates = textFieldCandidates(ctx.opts.textField)
  const textColumn = candidates.find((c) => names.includes(c))
  if (textColumn === undefined) {
    yield problem(
      ctx.where,
      'bad-record',
      `no ${candidates.map((k) => `"${k}"`).join(' / ')} column; the file has: ${names.join(', ')}. Name the text column with --text-field`,
    )
    return
  }
  const columns = [textColumn, ...EXTRA_COLUMNS.filter((c) => c !== textColumn && names.includes(c))]
  let rowStart = 0
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows)
    let rows: ParquetRow[]
    try {
      rows = await parquetReadObjects({ file, metadata, columns, rowStart, rowEnd, compressors })
    } catch (err) {
      yield problem(ctx.where, 'bad-record', `rows ${rowStart}-${rowEnd - 1} cannot be decoded (${errorMessage(err)}); skipped`, { record: rowStart })
      rowStart = rowEnd
      continue
    }
    for (const [i, row] of rows.entries()) {
      if (ctx.opts.signal?.aborted) return
      yield recordToItem(ctx, row, 'parquet', { record: rowStart + i })
    }
    rowStart = rowEnd
  }
}
