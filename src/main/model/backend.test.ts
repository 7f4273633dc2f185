// Backend selection on a machine without tfjs-node: the native packages are reported missing, wasm starts with
// the threads asked for (the threaded SIMD build in Node), and an explicit native choice is a clear error.
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { currentBackend, selectBackend } from './backend'
import { LlamaModel } from './llama'
import { maxAbsDiff, randomTensors, relDiff, tinyConfig } from './test-helpers'

const hasNative = (() => {
  try {
    createRequire(__filename).resolve('@tensorflow/tfjs-node')
    return true
  } catch {
    return false
  }
})()

describe('selectBackend', () => {
  it.skipIf(hasNative)('auto: records why the native backends are unavailable, then picks wasm with two threads', async () => {
    const s = await selectBackend('auto', { wasmThreads: 2 })
    expect(s.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(s.tried.map((t) => t.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm'])
    expect(s.tried[0]).toMatchObject({ ok: false, reason: expect.stringMatching(/@tensorflow\/tfjs-node-gpu is not installed/) })
    expect(s.tried[1]).toMatchObject({ ok: false, reason: expect.stringMatching(/@tensorflow\/tfjs-node is not installed/) })
    expect(s.tried[2]).toMatchObject({ ok: true, reason: '2 threads, SIMD' })
    expect(s.threads).toBe(2)
    expect(currentBackend()).toBe(s)
    // The same preference again returns the same selection; the threaded backend computes correctly.
    expect(await selectBackend('auto')).toBe(s)
    const y = tf.matMul(tf.ones([64, 32]), tf.ones([32, 16]))
    expect(Array.from(new Set(y.dataSync()))).toEqual([32])
  })

  it.skipIf(hasNative)('an explicit native backend that is not installed is an error saying what to install', async () => {
    await expect(selectBackend('tensorflow')).rejects.toThrow(AppError)
    await expect(selectBackend('tensorflow-gpu')).rejects.toThrow(/npm i @tensorflow\/tfjs-node-gpu/)
  })

  it('the threaded wasm backend gives the cpu backend\'s logits and gradients', async () => {
    await selectBackend('wasm', { wasmThreads: 2 })
    const cfg = tinyConfig({ hiddenSize: 64, intermediateSize: 96 })
    const tensors = randomTensors(cfg, 3, 0.1)
    const run = (prefix: string): { logits: Float32Array; grads: Float32Array[] } => {
      const model = LlamaModel.fromNamedTensors(cfg, tensors, { namePrefix: prefix })
      const ids = tf.tensor2d([[1, 5, 9, 13, 17, 21, 25, 29, 33]], [1, 9], 'int32')
      const targets = tf.tensor2d([[5, 9, 13, 17, 21, 25, 29, 33, 37]], [1, 9], 'int32')
      const logits = tf.tidy(() => model.logits(ids).dataSync() as Float32Array)
      const grads = tf.tidy(() => Object.values(tf.variableGrads(() => model.loss(ids, targets), model.variables()).grads).map((g) => g.dataSync() as Float32Array))
      tf.dispose([ids, targets])
      model.dispose()
      return { logits, grads }
    }
    const wasm = run('wasm/')
    await selectBackend('cpu')
    const cpu = run('cpu/')
    await selectBackend('wasm')
    expect(maxAbsDiff(wasm.logits, cpu.logits)).toBeLessThan(1e-5)
    wasm.grads.forEach((g, i) => expect(relDiff(g, cpu.grads[i]!)).toBeLessThan(1e-4))
  })

  it('switching to cpu and back keeps the wasm tensors', async () => {
    await selectBackend('wasm')
    const x = tf.tensor1d([1, 2, 3])
    const cpu = await selectBackend('cpu')
    expect(cpu.name).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
    await selectBackend('wasm')
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3])
    x.dispose()
  })
})
