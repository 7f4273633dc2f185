// The trainer stops on a non-finite loss before touching the weights, and gradient accumulation over micro-batches
// equals one step on the whole batch.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TrainInput } from '../../shared/runs'
import { tempDir } from '../../../test/helpers/temp'
import { selectBackend } from '../model/backend'
import { LlamaModel } from '../model/llama'
import { presetConfig } from '../weights/llama-config'
import { AdamW } from './adamw'
import { Rng } from '../util/prng'
import { WindowOrder, WindowReader } from './token-data'
import { Trainer } from './trainer'

const tmp = tempDir('cpt-trainer-')
const file = path.join(tmp.dir, 'tokens.bin')
const rng = new Rng(9)
writeFileSync(file, Uint16Array.from({ length: 4_000 }, () => rng.int(32)))

function setup(overrides: Record<string, unknown>, namePrefix = ''): { trainer: Trainer; model: LlamaModel; dispose: () => void } {
  const input = TrainInput.parse({ kind: 'train', model: { kind: 'preset', preset: 'debug' }, steps: 4, batchSize: 4, seqLen: 16, evalTokens: 64, ...overrides })
  const model = LlamaModel.init(presetConfig('debug', 32), 1, { namePrefix })
  const optimizer = new AdamW(model.variables(), input.optimizer)
  const reader = new WindowReader(file, 2, 4_000, input.seqLen)
  const trainer = new Trainer(model, optimizer, reader, new WindowOrder(3, reader.windows), reader, input, 4)
  return { trainer, model, dispose: () => (reader.close(), optimizer.dispose(), model.dispose()) }
}

describe('trainer', () => {
  beforeAll(() => selectBackend('wasm'))
  afterAll(() => {
    tf.disposeVariables()
    tmp.cleanup()
  })

  it('stops on a NaN loss with a clear error and leaves the weights as they were', () => {
    const { trainer, model, dispose } = setup({})
    try {
      trainer.step(0)
      const norm = model.namedVariables().get('model.norm.weight')!
      norm.assign(tf.fill(norm.shape, NaN))
      const before = model.variables().map((v) => Array.from(v.dataSync()))
      expect(() => trainer.step(1)).toThrow(/loss became NaN at step 2; the weights were not updated/)
      model.variables().forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(before[i]))
    } finally {
      dispose()
    }
  })

  it('accumulates gradients: 2 micro-batches of 2 equal one batch of 4 (same sequences)', () => {
    const whole = setup({ batchSize: 4, gradAccum: 1 })
    const split = setup({ batchSize: 2, gradAccum: 2 }, 'split/')
    try {
      const a = whole.trainer.step(0)
      const b = split.trainer.step(0)
      expect(b.loss).toBeCloseTo(a.loss, 5)
      expect(b.gradNorm).toBeCloseTo(a.gradNorm, 4)
      const wa = whole.model.variables()
      split.model.variables().forEach((v, i) => {
        const x = v.dataSync()
        const y = wa[i]!.dataSync()
        let m = 0
        for (let k = 0; k < x.length; k++) m = Math.max(m, Math.abs(x[k]! - y[k]!))
        expect(m).toBeLessThan(1e-6)
      })
    } finally {
      whole.dispose()
      split.dispose()
    }
  })
})
