import * as tf from '@tensorflow/tfjs'
import { it } from 'vitest'
import { selectBackend } from './backend'
import { LlamaModel } from './llama'
import { estimateTrainingMemory } from './memory'
import { presetConfig } from '../weights/llama-config'
it('mem', { timeout: 600_000 }, async () => {
  await selectBackend('wasm', { wasmThreads: 1 })
  for (const [name, vocab, b, t] of [['bench-5m', 4096, 8, 256], ['bench-5m', 4096, 2, 1024], ['proxy-1m', 8000, 4, 512], ['proxy-10m', 8000, 4, 512]] as const) {
    for (const layers of ['ops', 'fused'] as const) {
      const cfg = presetConfig(name, vocab)
      const model = LlamaModel.init(cfg, 1, { kernels: { layers } })
      const x = tf.zeros([b, t], 'int32') as tf.Tensor2D
      const before = tf.memory().numBytes
      const info = await tf.profile(() => { const { value, grads } = tf.variableGrads(() => model.loss(x, x), model.variables()); tf.dispose([value, ...Object.values(grads)]) })
      const est = estimateTrainingMemory(cfg, { batch: b, seq: t })
      console.log(name, b, t, layers, 'peak above weights', ((info.peakBytes - before) / 1e6).toFixed(0), 'MB; estimate act+grads', ((est.activationsBytes + est.gradientsBytes) / 1e6).toFixed(0), 'MB')
      model.dispose(); x.dispose()
    }
  }
})
