// Our GGUF files in the real llama.cpp (node-llama-cpp, CPU): they load with the right shape, and llama.cpp's
// next-token distributions match a plain HF-layout forward pass, which checks names, layout and q/k permutation.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { Token } from 'node-llama-cpp'
import { afterAll, describe, expect, it } from 'vitest'
import { referenceLogits, referenceNextTokenLogProbs } from '../../../test/helpers/llama-reference'
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../test/helpers/shared-data'
import { tempDir } from '../../../test/helpers/temp'
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './float16'
import { maxAbsDiff } from '../model/test-helpers'
import { loadTokenizer } from '../tokenizer/tokenizer'
import { readGguf, unpermuteQkFromGguf, writeGguf } from './gguf'
import { llamaCppNextTokenLogProbs, openLlamaCppReference } from './llama-cpp-reference'
import { presetConfig, type LlamaConfig } from './llama-config'
import type { NamedTensors } from './named-tensors'
import { randomLlamaWeights, tinySpmVocab } from './random-weights'

const tmp = tempDir('cpt-llamacpp-')
afterAll(() => tmp.cleanup())

const vocab = tinySpmVocab(['▁', 'e', 'l', 'o', 'h', 'w', 'r', 'd', 'll', 'he', 'llo', 'hello', '▁hello', 'or', 'wor', 'ld', 'world', '▁world'])
const cfg = presetConfig('debug', vocab.tokens.length) // hidden 64, 2 layers, 4 heads / 2 KV heads, MLP 176
// Larger q/k weights make attention (and so RoPE and the q/k permutation) change the output clearly.
const weights = randomLlamaWeights(cfg, 21, (name) => (/[qk]_proj/.test(name) ? 0.3 : name === 'lm_head.weight' ? 0.4 : 0.12))
const prompt = [1, 270, 271, 262, 275, 259, 268, 274, 262, 263]

function mapData(t: NamedTensors, f: (name: string, d: Float32Array) => Float32Array): NamedTensors {
  return new Map([...t].map(([n, x]) => [n, { shape: x.shape, data: f(n, x.data) }]))
}

/** Greedy continuation by the reference forward pass. */
function referenceGreedy(c: LlamaConfig, t: NamedTensors, tokens: number[], count: number): number[] {
  const seq = [...tokens]
  for (let i = 0; i < count; i++) {
    const logits = referenceLogits(c, t, seq).at(-1)!
    seq.push(logits.indexOf(Math.max(...logits)))
  }
  return seq.slice(tokens.length)
}

describe('llama.cpp loads our GGUF files', () => {
  it('F32: right metadata, and next-token log-probabilities and greedy tokens match the reference forward pass', async () => {
    const f = path.join(tmp.dir, 'debug-f32.gguf')
    await writeGguf(f, cfg, weights, { tokenizer: vocab, name: 'cpt-studio debug' })
    const ref = await openLlamaCppReference(f)
    try {
      const model = ref.model
      expect(model.embeddingVectorSize).toBe(64)
      expect(model.trainContextSize).toBe(512)
      expect(model.vocabularyType).toBe('spm')
      expect(model.tokens.bos).toBe(1)
      expect(model.tokens.eos).toBe(2)
      expect(model.fileInfo.tensorInfo?.length).toBe(21)
      expect(model.typeDescription).toMatch(/F32/)
      expect(model.tokenize('hello world')).toEqual([vocab.tokens.indexOf('▁hello'), vocab.tokens.indexOf('▁world')])
      expect(model.detokenize([vocab.tokens.indexOf('▁hello'), vocab.tokens.indexOf('▁world'), 3 + 0x21] as Token[])).toBe('hello world!') // llama.cpp drops the leading space of the first piece

      const ours = await ref.nextTokenLogProbs(prompt)
      const expected = referenceNextTokenLogProbs(cfg, weights, prompt)
      expect(ours.length).toBe(cfg.vocabSize)
      expect(ours.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 4)
      const diff = maxAbsDiff(ours, expected)
      expect(diff).toBeLessThan(1e-4) // measured 5e-6

      // Negative control: had the file kept HF's q/k row order, llama.cpp would have computed this instead.
      const unpermuted = mapData(weights, (n, d) =>
        n.includes('q_proj') ? unpermuteQkFromGguf(d, cfg.numAttentionHeads, cfg.hiddenSize) : n.includes('k_proj') ? unpermuteQkFromGguf(d, cfg.numKeyValueHeads, cfg.hiddenSize) : d,
      )
      expect(maxAbsDiff(ours, referenceNextTokenLogProbs(cfg, unpermuted, prompt))).toBeGreaterThan(50 * Math.max(diff, 1e-5))

      expect(await ref.nextTokenLogProbs(prompt)).toEqual(ours) // deterministic
      expect(await ref.greedy(prompt, 6)).toEqual(referenceGreedy(cfg, weights, prompt, 6))
    } finally {
      await ref.close()
    }
  })

  it('F16: matches the reference on f16-rounded weights within f16 arithmetic error', async () => {
    const f = path.join(tmp.dir, 'debug-f16.gguf')
    await writeGguf(f, cfg, weights, { dtype: 'F16', tokenizer: vocab })
    const rounded = mapData(weights, (n, d) => (n.endsWith('norm.weight') ? d : f16ToF32(f32ToF16(d))))
    const ours = await llamaCppNextTokenLogProbs(f, prompt)
    expect(maxAbsDiff(ours, referenceNextTokenLogProbs(cfg, rounded, prompt))).toBeLessThan(0.05) // measured 0.014: llama.cpp rounds activations to f16 for f16 matmuls
  })
})

describe('llama.cpp loads our BF16 GGUF', () => {
  it('matches the reference on bf16-rounded weights within bf16 arithmetic error', async () => {
    const f = path.join(tmp.dir, 'debug-bf16.gguf')
    await writeGguf(f, cfg, weights, { dtype: 'BF16', tokenizer: vocab })
    const rounded = mapData(weights, (n, d) => (n.endsWith('norm.weight') ? d : bf16ToF32(f32ToBf16(d))))
    const ours = await llamaCppNextTokenLogProbs(f, prompt)
    const diff = maxAbsDiff(ours, referenceNextTokenLogProbs(cfg, rounded, prompt))
    expect(diff).toBeLessThan(0.3) // measured 0.087 (activations rounded to bf16); a wrong q/k order gives about 10
  })
})

describe.skipIf(!HAS_SHARED_DATA)('llama.cpp with shared data', () => {
  it('computes a deterministic distribution for the tiny Llama-2, matching our reader and the reference forward pass', async () => {
    const tiny = path.join(SHARED_DATA, 'models/llama-2-tiny-random-gguf/llama-2-tiny-random.gguf')
    const tokens = [1, 15043, 3186, 29892, 920]
    const a = await llamaCppNextTokenLogProbs(tiny, tokens)
    expect(a.length).toBe(32000)
    expect(a.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 4)
    expect(await llamaCppNextTokenLogProbs(tiny, tokens)).toEqual(a)
    const { config, tensors } = await readGguf(tiny)
    // Measured 6e-5. Its weights are too small for this to test the q/k order (near-uniform output);
    // gguf.test.ts checks that rewriting it reproduces every tensor byte for byte.
    expect(maxAbsDiff(a, referenceNextTokenLogProbs(config, tensors, tokens))).toBeLessThan(1e-3)
  })

  it("tokenizes llama.cpp's 46 reference strings with the Llama-2 vocabulary after our read and write", async () => {
    const dir = path.join(SHARED_DATA, 'tokenizers/llama-spm-gguf')
    const spm = (await loadTokenizer(path.join(dir, 'ggml-vocab-llama-spm.gguf'))).ggufVocab()
    const c = presetConfig('debug', spm.tokens.length)
    const f = path.join(tmp.dir, 'spm.gguf')
    await writeGguf(f, c, randomLlamaWeights(c, 5), { dtype: 'F16', tokenizer: spm })
    const inputs = readFileSync(path.join(dir, 'ggml-vocab-llama-spm.gguf.inp'), 'utf8').split('\n__ggml_vocab_test__\n')
    const outputs = readFileSync(path.join(dir, 'ggml-vocab-llama-spm.gguf.out'), 'utf8').split('\n')
    expect(inputs.at(-1)).toBe('')
    inputs.pop()
    expect(inputs.length).toBe(46)
    const ref = await openLlamaCppReference(f)
    try {
      const got = inputs.map((text) => ref.model.tokenize(text).join(' '))
      expect(got).toEqual(outputs.slice(0, inputs.length).map((line) => line.trim()))
      expect((await ref.greedy([1, 15043], 3)).length).toBe(3)
    } finally {
      await ref.close()
    }
  })
})
