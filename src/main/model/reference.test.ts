// The TF.js Llama against an independent float64 JavaScript forward: HF conventions (rotate-half RoPE,
// repeat_kv grouping, RMSNorm eps placement, SwiGLU) on every backend and kernel choice.
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceLogits } from '../../../test/helpers/llama-reference'
import { STOCK_KERNELS } from './kernels'
import { LlamaModel } from './llama'
import { Prng } from '../util/prng'
import { TEST_BACKENDS, maxAbsDiff, randomIds, randomTensors, tinyConfig, useBackend } from './test-helpers'

describe.each(TEST_BACKENDS)('reference forward on %s', (backend) => {
  beforeAll(() => useBackend(backend))
  afterAll(() => tf.disposeVariables())

  const cases = [
    { name: 'GQA 4 heads / 2 KV heads, untied', cfg: tinyConfig() },
    { name: 'MHA, tied embeddings', cfg: tinyConfig({ numKeyValueHeads: 4, tieWordEmbeddings: true }) },
    { name: 'one KV head, theta 500000', cfg: tinyConfig({ numAttentionHeads: 2, numKeyValueHeads: 1, ropeTheta: 500000, rmsNormEps: 1e-6 }) },
  ]
  for (const { name, cfg } of cases) {
    for (const kernels of ['default', 'stock'] as const) {
      it(`${name}, ${kernels} kernels`, () => {
        const tensors = randomTensors(cfg, 7)
        const ids = randomIds(new Prng(3), 2, 11, cfg.vocabSize)
        const expected = ids.flatMap((seq) => referenceLogits(cfg, tensors, seq).flatMap((row) => [...row]))
        const model = LlamaModel.fromNamedTensors(cfg, tensors, kernels === 'stock' ? { kernels: STOCK_KERNELS } : {})
        try {
          const logits = model.logits(tf.tensor2d(ids, [2, 11], 'int32'))
          const got = logits.dataSync()
          logits.dispose()
          expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5)
        } finally {
          model.dispose()
        }
      })
    }
  }
})
