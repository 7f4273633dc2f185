import { promises as fs } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/helpers/temp'
import { WindowOrder, WindowReader, isHeldOut, readBatch } from './token-data'

describe('packed training windows', () => {
  let cleanup = (): void => {}
  afterEach(() => cleanup())

  it('reads windows of seqLen+1 tokens whose targets are the inputs shifted by one', async () => {
    const t = tempDir()
    cleanup = t.cleanup
    const dir = t.dir
    const tokens = Uint16Array.from({ length: 101 }, (_, i) => i)
    await fs.writeFile(path.join(dir, 'train.bin'), new Uint8Array(tokens.buffer))
    const reader = new WindowReader(path.join(dir, 'train.bin'), 2, 101, 10)
    expect(reader.windows).toBe(10)
    expect([...reader.window(3)]).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40])
    const order = new WindowOrder(7, reader.windows)
    const { inputs, targets } = readBatch(reader, order, 0, 2, 10)
    for (let i = 0; i < 20; i++) {
      if (i % 10 !== 9) expect(targets[i]).toBe(inputs[i + 1])
      expect(targets[i]).toBe(inputs[i]! + 1)
    }
    reader.close()
  })

  it('draws every window once per epoch, in an order that depends only on the seed and the position', () => {
    const a = new WindowOrder(42, 50)
    const seen = new Set(Array.from({ length: 50 }, (_, g) => a.window(g)))
    expect(seen.size).toBe(50)
    const b = new WindowOrder(42, 50)
    // A fresh order (as after a resume) jumping straight to sequence 73 gives the same window.
    expect(b.window(73)).toBe(a.window(73))
    expect(new WindowOrder(43, 50).window(0) === a.window(0) && new WindowOrder(43, 50).window(1) === a.window(1)).toBe(false)
  })

  it('holds out documents by id, about the asked share', () => {
    let held = 0
    for (let i = 0; i < 10_000; i++) if (isHeldOut(`doc-${i}`, 0.05)) held++
    expect(held).toBeGreaterThan(400)
    expect(held).toBeLessThan(600)
    expect(isHeldOut('doc-1', 0.05)).toBe(isHeldOut('doc-1', 0.05))
  })
})
