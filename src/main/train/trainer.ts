// One optimizer step (gradient accumulation, clipping, AdamW) and held-out evaluation for a Llama model.
import * as tf from '@tensorflow/tfjs'
import { AppError } from '../../shared/errors'
import type { TrainInput } from '../../shared/runs'
import type { LlamaModel } from '../model/llama'
import { AdamW, clipByGlobalNorm } from './adamw'
import { learningRate } from './schedule'
import { type WindowOrder, type WindowReader, readBatch, readWindows } from './token-data'

export interface StepResult {
  loss: number
  gradNorm: number
  lr: number
}

export class Trainer {
  readonly tokensPerStep: number

  constructor(
    readonly model: LlamaModel,
    readonly optimizer: AdamW,
    private readonly train: WindowReader,
    private readonly order: WindowOrder,
    private readonly heldOut: WindowReader,
    private readonly input: TrainInput,
    readonly totalSteps: number,
  ) {
    this.tokensPerStep = input.batchSize * input.seqLen * input.gradAccum
  }

  /** Runs optimizer update number `step` (0-based). Throws, leaving the weights untouched, when the loss or gradients are not finite. */
  step(step: number): StepResult {
    const { batchSize: b, seqLen: t, gradAccum: accum } = this.input
    const lr = learningRate(this.input.schedule, step, this.totalSteps)
    const vars = this.model.variables()
    let summed: Record<string, tf.Tensor> | null = null
    let lossSum = 0
    for (let micro = 0; micro < accum; micro++) {
      const g = (step * accum + micro) * b
      const { inputs, targets } = readBatch(this.train, this.order, g, b, t)
      const x = tf.tensor2d(inputs, [b, t], 'int32')
      const y = tf.tensor2d(targets, [b, t], 'int32')
      const { value, grads } = tf.variableGrads(() => this.model.loss(x, y), vars)
      x.dispose()
      y.dispose()
      lossSum += value.dataSync()[0] ?? NaN
      value.dispose()
      if (!summed) summed = grads
      else {
        const prev: Record<string, tf.Tensor> = summed
        summed = {}
        for (const k of Object.keys(grads)) {
          const a = prev[k]!
          const b2 = grads[k]!
          summed[k] = a.add(b2)
          a.dispose()
          b2.dispose()
        }
      }
    }
    let grads = summed!
    if (accum > 1) grads = scale(grads, 1 / accum)
    const loss = lossSum / accum
    const clipped = clipByGlobalNorm(grads, this.input.optimizer.clip)
    try {
      if (!Number.isFinite(loss)) throw new AppError('internal', `The training loss became ${loss} at step ${step + 1}; the weights were not updated. Lower the learning rate or check the data; the last good checkpoint is kept.`)
      if (!Number.isFinite(clipped.norm)) throw new AppError('internal', `The gradient norm became ${clipped.norm} at step ${step + 1}; the weights were not updated. Lower the learning rate; the last good checkpoint is kept.`)
      this.optimizer.apply(clipped.grads, lr, step + 1)
    } finally {
      for (const g of Object.values(clipped.grads)) g.dispose()
    }
    return { loss, gradNorm: clipped.norm, lr }
  }

  /** Mean token loss over evalTokens of the held-out split, in windows spread evenly over it (the same ones at every evaluation). */
  evaluate(): number {
    const { batchSize: b, seqLen: t, evalTokens } = this.input
    const available = this.heldOut.windows
    const windows = Math.max(1, Math.min(available, Math.ceil(evalTokens / t)))
    let sum = 0
    let count = 0
    for (let w0 = 0; w0 < windows; w0 += b) {
      const n = Math.min(b, windows - w0)
      const { inputs, targets } = readWindows(this.heldOut, n, t, (i) => Math.floor(((w0 + i) * available) / windows))
      const loss = tf.tidy(() => this.model.loss(tf.tensor2d(inputs, [n, t], 'int32'), tf.tensor2d(targets, [n, t], 'int32')))
      sum += (loss.dataSync()[0] ?? NaN) * n
      loss.dispose()
      count += n
    }
    return sum / count
  }
}

function scale(grads: Record<string, tf.Tensor>, s: number): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {}
  for (const [k, g] of Object.entries(grads)) {
    out[k] = g.mul(s)
    g.dispose()
  }
  return out
}
