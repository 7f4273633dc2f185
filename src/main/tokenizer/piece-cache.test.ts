// The tokenizers' piece cache must not keep the documents its pieces were cut from.
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { expect, it } from 'vitest'
import { PieceCache } from './piece-cache'

v8.setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

it('holds its pieces, not the documents they were cut from', () => {
  const cache = new PieceCache()
  gc()
  const before = process.memoryUsage().heapUsed
  for (let i = 0; i < 50; i++) {
    // A 2 MB document (two bytes a character); its first 20 characters are the piece.
    const doc = `\u2581piece${String(i).padStart(8, '0')}` + '\u2581'.repeat(1_000_000)
    cache.set(doc.slice(0, 20), [i])
  }
  gc()
  // Slices would keep all 50 documents: 100 MB.
  expect(process.memoryUsage().heapUsed - before).toBeLessThan(20_000_000)
  expect(cache.get(`\u2581piece00000007${'\u2581'.repeat(6)}`)).toEqual([7])
})
