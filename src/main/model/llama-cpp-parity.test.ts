// Our TF.js Llama against the real llama.cpp (node-llama-cpp 3.21.1, CPU, one thread, F32 KV cache):
// the same next-token distribution for a model we export to GGUF, and for the tiny GGUF from ../shared/data
// imported into our model. Tolerance: 1e-4 in log-probability. Both sides compute in fp32 but sum in a
// different order (llama.cpp's SIMD dot products and its softmax vs XNNPACK/tfjs kernels), which moves
// fp32 results by ~1e-6 relative; after 2 layers and a log-softmax over the vocabulary the measured gap
// is a few 1e-6, so 1e-4 leaves margin while a layout mistake (q/k permutation, RoPE convention, GQA
// grouping) shows up as differences of 0.1 or more.
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../test/helpers/shared-data'
import { tempDir } from '../../../test/helpers/temp'
import { readGguf, writeGguf } from '../weights/gguf'
import { llamaCppNextTokenLogProbs } from '../weights/llama-cpp-reference'
import { presetConfig } from '../weights/llama-config'
import { randomLlamaWeights, tinySpmVocab } from '../weights/random-weights'
import { LlamaModel } from './llama'
import { maxAbsDiff, useBackend } from './test-helpers'

const tmp = tempDir('cpt-parity-')

/** Our model's log-probabilities for the token after `ids`. */
function ourNextTokenLogProbs(model: LlamaModel, ids: number[]): Float32Array {
  return tf.tidy(() => {
    const logits = model.logits(tf.tensor2d(ids, [1, ids.length], 'int32'))
    const last = logits.slice([0, ids.length - 1, 0], [1, 1, -1]).reshape([-1])
    return tf.logSoftmax(last).dataSync() as Float32Array
  })
}

describe('next-token distribution equals llama.cpp', () => {
  beforeAll(() => useBackend('wasm'))
  afterAll(() => {
    tf.disposeVariables()
    tmp.cleanup()
  })

  it('for a model we initialise and export to GGUF (F32)', async () => {
    const vocab = tinySpmVocab(['▁', 'e', 'l', 'o', 'h', 'w', 'r', 'd', 'll', 'he', 'llo', 'hello', '▁hello', 'or', 'wor', 'ld', 'world', '▁world'])
    const cfg = presetConfig('debug', vocab.tokens.length, { bosTokenId: vocab.bos, eosTokenId: vocab.eos })
    // Weights larger than the 0.02 init so attention, RoPE and the q/k permutation matter to the output.
    const weights = randomLlamaWeights(cfg, 5, (name) => (/[qk]_proj/.test(name) ? 0.3 : name === 'lm_head.weight' ? 0.4 : 0.12))
    const model = LlamaModel.fromNamedTensors(cfg, weights)
    try {
      const file = path.join(tmp.dir, 'ours.gguf')
      await writeGguf(file, cfg, model.toNamedTensors(), { dtype: 'F32', tokenizer: vocab })
      const prompt = [1, 270, 271, 262, 275, 259, 268, 274, 262, 263, 276, 265]
      for (const n of [1, 5, prompt.length]) {
        const ids = prompt.slice(0, n)
        const diff = maxAbsDiff(ourNextTokenLogProbs(model, ids), await llamaCppNextTokenLogProbs(file, ids))
        expect(diff, `after ${n} tokens`).toBeLessThan(1e-4)
      }
    } finally {
      model.dispose()
    }
  }, 120_000)

  it.skipIf(!HAS_SHARED_DATA)('for the tiny random Llama-2 GGUF from ../shared/data imported into our model', async () => {
    const file = path.join(SHARED_DATA, 'models/llama-2-tiny-random-gguf/llama-2-tiny-random.gguf')
    const { config, tensors } = await readGguf(file)
    const model = LlamaModel.fromNamedTensors(config, tensors)
    try {
      const prompt = [1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203]
      const ours = ourNextTokenLogProbs(model, prompt)
      const theirs = await llamaCppNextTokenLogProbs(file, prompt)
      expect(ours.length).toBe(32000)
      // The file is F16: llama.cpp multiplies in f16-rounded activations, so the gap is larger than for F32.
      expect(maxAbsDiff(ours, theirs)).toBeLessThan(2e-3)
    } finally {
      model.dispose()
    }
  }, 120_000)
})
