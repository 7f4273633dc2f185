// The training memory estimate and the refusal of runs that cannot fit (checked before anything is allocated).
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { parameterCount, presetConfig } from '../weights/llama-config'
import { selectBackend } from './backend'
import { LlamaModel } from './llama'
import { checkFits, estimateTrainingMemory } from './memory'

describe('estimateTrainingMemory', () => {
  it('counts fp32 weights, gradients and two AdamW moments', () => {
    const cfg = presetConfig('bench-5m', 4096)
    const e = estimateTrainingMemory(cfg, { batch: 8, seq: 256, backend: 'wasm' })
    const p = parameterCount(cfg)
    expect(e.parametersBytes).toBe(4 * p)
    expect(e.gradientsBytes).toBe(4 * p)
    expect(e.optimizerBytes).toBe(8 * p)
    expect(e.totalBytes).toBe(e.parametersBytes + e.gradientsBytes + e.optimizerBytes + e.activationsBytes)
    const longer = estimateTrainingMemory(cfg, { batch: 8, seq: 512 })
    expect(longer.activationsBytes).toBeGreaterThan(2 * e.activationsBytes)
  })

  it.each([
    { seq: 32, label: 'probabilities kept' },
    { seq: 160, label: 'probabilities recomputed' },
  ])('bounds the peak memory of a real training step on wasm ($label)', async ({ seq }) => {
    await selectBackend('wasm')
    const cfg = presetConfig('debug', 2000)
    const model = LlamaModel.init(cfg, 1, { namePrefix: `m${seq}/` })
    const x = tf.zeros([2, seq], 'int32') as tf.Tensor2D
    const before = tf.memory().numBytes
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => model.loss(x, x), model.variables())
      tf.dispose([value, ...Object.values(grads)])
    })
    const e = estimateTrainingMemory(cfg, { batch: 2, seq })
    const peak = info.peakBytes - before
    expect(peak).toBeLessThan(e.activationsBytes + e.gradientsBytes)
    expect(peak).toBeGreaterThan((e.activationsBytes + e.gradientsBytes) / 3)
    model.dispose()
    x.dispose()
  })

  it('gives TinyLlama-1.1B about 4.4 GB of fp32 weights and 17.6 GB before activations', () => {
    const e = estimateTrainingMemory(presetConfig('tinyllama-1.1b'), { batch: 1, seq: 2048 })
    expect(e.parametersBytes / 1e9).toBeCloseTo(4.4, 1)
    expect((e.parametersBytes + e.gradientsBytes + e.optimizerBytes) / 1e9).toBeCloseTo(17.6, 1)
  })
})

describe('checkFits', () => {
  it('refuses TinyLlama-1.1B on wasm because of the 4 GiB heap, naming the native backends', () => {
    const e = estimateTrainingMemory(presetConfig('tinyllama-1.1b'), { batch: 1, seq: 128, backend: 'wasm' })
    let error: unknown
    try {
      checkFits(e, 'wasm')
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('unsupported')
    expect((error as AppError).message).toMatch(/4 GiB/)
    expect((error as AppError).message).toMatch(/@tensorflow\/tfjs-node/)
    expect((error as AppError).message).toMatch(/tfjs-node-gpu/)
  })

  it('accepts the benchmark shape on wasm and refuses a batch whose activations overflow the heap', () => {
    const cfg = presetConfig('bench-5m', 4096)
    expect(checkFits(estimateTrainingMemory(cfg, { batch: 8, seq: 256 }), 'wasm').limitBytes).toBe(4 * 1024 ** 3)
    expect(() => checkFits(estimateTrainingMemory(cfg, { batch: 512, seq: 2048 }), 'wasm')).toThrow(/more than the wasm backend's 4 GiB heap/)
  })

  it('compares native backends against free memory or the GPU memory given', () => {
    const e = estimateTrainingMemory(presetConfig('tinyllama-1.1b'), { batch: 1, seq: 512 })
    expect(() => checkFits(e, 'tensorflow', { freeMemoryBytes: 8 * 1024 ** 3 })).toThrow(/free memory/)
    expect(checkFits(e, 'tensorflow', { freeMemoryBytes: 64 * 1024 ** 3 }).limitSource).toBe('free system memory')
    expect(() => checkFits(e, 'tensorflow-gpu', { gpuMemoryBytes: 16 * 1024 ** 3 })).toThrow(/GPU has 16.0 GiB free/)
    expect(checkFits(e, 'tensorflow-gpu', { gpuMemoryBytes: 80 * 1024 ** 3 }).limitSource).toBe('GPU memory')
  })
})
