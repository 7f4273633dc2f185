// The debug preset's loss curve on a fixed synthetic token stream, against the curve checked in at
// test/golden/debug-loss-curve.json: any change to the model, the optimizer, the schedule or the batch order
// that moves the numbers fails here. UPDATE_GOLDEN=1 rewrites the file (say why in the commit).
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { TrainInput } from '../../shared/runs'
import { tempDir } from '../../../test/helpers/temp'
import { selectBackend } from '../model/backend'
import { LlamaModel } from '../model/llama'
import { presetConfig } from '../weights/llama-config'
import { AdamW } from './adamw'
import { Rng } from '../util/prng'
import { WindowOrder, WindowReader } from './token-data'
import { Trainer } from './trainer'

const GOLDEN = path.resolve(__dirname, '../../../test/golden/debug-loss-curve.json')
const VOCAB = 64
const STEPS = 30

/** A token stream with structure a small model can learn: a noisy cycle through the vocabulary. */
function syntheticTokens(n: number, seed: number): Uint16Array {
  const rng = new Rng(seed)
  const out = new Uint16Array(n)
  let t = 0
  for (let i = 0; i < n; i++) {
    t = rng.next() < 0.8 ? (t + 1) % VOCAB : rng.int(VOCAB)
    out[i] = t
  }
  return out
}

describe('golden loss curve of the debug preset', () => {
  const tmp = tempDir('cpt-golden-')
  afterAll(() => {
    tf.disposeVariables()
    tmp.cleanup()
  })

  it('matches the checked-in curve', async () => {
    await selectBackend('wasm')
    const files = { train: path.join(tmp.dir, 'train.bin'), heldOut: path.join(tmp.dir, 'heldout.bin') }
    writeFileSync(files.train, syntheticTokens(20_000, 1))
    writeFileSync(files.heldOut, syntheticTokens(2_000, 2))
    const input = TrainInput.parse({ kind: 'train', model: { kind: 'preset', preset: 'debug' }, steps: STEPS, batchSize: 4, seqLen: 32, evalTokens: 512, schedule: { lr: 3e-3, warmupSteps: 5, minLr: 3e-4 }, seed: 3 })
    const model = LlamaModel.init(presetConfig('debug', VOCAB), input.seed)
    const optimizer = new AdamW(model.variables(), input.optimizer)
    const train = new WindowReader(files.train, 2, 20_000, input.seqLen)
    const heldOut = new WindowReader(files.heldOut, 2, 2_000, input.seqLen)
    const trainer = new Trainer(model, optimizer, train, new WindowOrder(input.seed, train.windows), heldOut, input, STEPS)
    const curve = { loss: [] as number[], evalLoss: [trainer.evaluate()] }
    for (let s = 0; s < STEPS; s++) curve.loss.push(trainer.step(s).loss)
    curve.evalLoss.push(trainer.evaluate())
    train.close()
    heldOut.close()
    optimizer.dispose()
    model.dispose()

    expect(curve.evalLoss[1]!).toBeLessThan(curve.evalLoss[0]! - 1)
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, JSON.stringify({ note: 'debug preset, vocab 64, batch 4 x 32, AdamW lr 3e-3 cosine, seed 3, wasm backend', ...curve }, null, 1) + '\n')
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as typeof curve
    expect(curve.loss.length).toBe(golden.loss.length)
    curve.loss.forEach((l, i) => expect(Math.abs(l - golden.loss[i]!), `loss at step ${i + 1}`).toBeLessThan(2e-4 * Math.max(1, golden.loss[i]!)))
    curve.evalLoss.forEach((l, i) => expect(Math.abs(l - golden.evalLoss[i]!)).toBeLessThan(2e-4 * golden.evalLoss[i]!))
  }, 120_000)
})
