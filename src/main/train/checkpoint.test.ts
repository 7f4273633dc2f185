import { promises as fs } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { tinyConfig } from '../model/test-helpers'
import type { NamedTensors } from '../weights/named-tensors'
import { randomLlamaWeights } from '../weights/random-weights'
import { latestCheckpoint, listCheckpoints, loadCheckpoint, saveCheckpoint } from './checkpoint'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true })
})

describe('checkpoints', () => {
  it('keeps only the newest keepCheckpoints folders and points latest.json at the newest', async () => {
    const run = await fs.mkdtemp(path.join(os.tmpdir(), 'cpt-ckpt-'))
    dirs.push(run)
    const config = tinyConfig()
    const model = randomLlamaWeights(config, 1)
    const optimizer: NamedTensors = new Map([['m.x', { shape: [2], data: new Float32Array([1, 2]) }]])
    for (const step of [10, 20, 30]) {
      await saveCheckpoint(run, { config, model, optimizer, state: { step, tokens: step * 4, sequences: step, seed: 7, elapsed: step }, keep: 2 })
    }
    expect((await listCheckpoints(run)).map((c) => c.step)).toEqual([20, 30])
    const latest = await latestCheckpoint(run)
    expect(path.basename(latest!)).toBe('step-0000030')
    const loaded = await loadCheckpoint(latest!)
    expect(loaded.state).toEqual({ step: 30, tokens: 120, sequences: 30, seed: 7, elapsed: 30 })
    expect(Array.from(loaded.optimizer.get('m.x')!.data)).toEqual([1, 2])
  })
})
