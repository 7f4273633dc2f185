// Streaming test: a ~50 MB JSONL file is read with bounded memory and yields documents before it is fully read.
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { walkInputs } from './inputs'
import { readInput } from './read-input'

const BLOCK_RECORDS = 1000
const BLOCKS = 50
let dir: string
let file: string

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cpt-stream-'))
  file = path.join(dir, 'big.jsonl')
  // One ~1 MB block of records, written 50 times: the file is large, the test's own memory is not.
  const filler = 'Lorem ipsum dolor sit amet, 数学 and \u2028 separators. '.repeat(18)
  const block = Buffer.from(
    Array.from({ length: BLOCK_RECORDS }, (_, i) => JSON.stringify({ id: `r${i}`, text: `${i} ${filler}`, metadata: { n: i } })).join('\n') + '\n',
  )
  const fd = openSync(file, 'w')
  for (let i = 0; i < BLOCKS; i++) writeSync(fd, block)
  closeSync(fd)
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('streaming', () => {
  it('reads a ~50 MB JSONL incrementally with bounded heap', async () => {
    const size = statSync(file).size
    expect(size).toBeGreaterThan(45 * 1024 * 1024)
    const heapBefore = process.memoryUsage().heapUsed
    let peak = Number.NEGATIVE_INFINITY
    let bytesAtFirstDoc = -1
    let bytes = 0
    let docs = 0
    const started = performance.now()
    for await (const input of walkInputs([file])) {
      if ('kind' in input) throw new Error(input.reason)
      for await (const item of readInput(input, { maxChars: 100_000 }, (n) => (bytes += n))) {
        expect(item.type).toBe('doc')
        if (docs === 0) bytesAtFirstDoc = bytes
        if (++docs % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed)
      }
    }
    const seconds = (performance.now() - started) / 1000
    console.info(
      `JSONL: ${(size / 1024 / 1024).toFixed(1)} MiB, ${docs} docs in ${seconds.toFixed(2)} s = ` +
        `${(size / 1024 / 1024 / seconds).toFixed(1)} MiB/s, ${Math.round(docs / seconds)} docs/s; ` +
        `heap peak vs start ${((peak - heapBefore) / 1024 / 1024).toFixed(1)} MiB`,
    )
    expect(docs).toBe(BLOCK_RECORDS * BLOCKS)
    expect(bytes).toBe(size)
    // The first document came after one read-ahead chunk, not after the whole file.
    expect(bytesAtFirstDoc).toBeGreaterThan(0)
    expect(bytesAtFirstDoc).toBeLessThan(1024 * 1024)
    expect(peak - heapBefore).toBeLessThan(100 * 1024 * 1024)
  })
})
