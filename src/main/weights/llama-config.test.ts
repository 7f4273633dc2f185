// Llama config: HF config.json mapping, presets and the tensor list every format shares.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../test/helpers/shared-data'
import {
  PRESETS,
  headDim,
  nonEmbeddingParameterCount,
  parameterCount,
  presetConfig,
  readHfConfig,
  swigluIntermediateSize,
  tensorShapes,
  toHfConfig,
  type LlamaConfig,
} from './llama-config'

const tinyllama: LlamaConfig = {
  vocabSize: 32000,
  hiddenSize: 2048,
  intermediateSize: 5632,
  numHiddenLayers: 22,
  numAttentionHeads: 32,
  numKeyValueHeads: 4,
  maxPositionEmbeddings: 2048,
  rmsNormEps: 1e-5,
  ropeTheta: 10000,
  tieWordEmbeddings: false,
  bosTokenId: 1,
  eosTokenId: 2,
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (err) {
    return (err as { code?: string }).code
  }
  return undefined
}

describe.skipIf(!HAS_SHARED_DATA)('TinyLlama config.json', () => {
  const json = JSON.parse(readFileSync(path.join(SHARED_DATA, 'tokenizers/tinyllama-1.1b-chat-v1.0/config.json'), 'utf8')) as Record<string, unknown>

  it('reads into the tinyllama-1.1b preset and writes back the same fields', () => {
    expect(readHfConfig(json)).toEqual(tinyllama)
    expect(presetConfig('tinyllama-1.1b')).toEqual(tinyllama)
    const { transformers_version: _v, ...rest } = json
    expect(toHfConfig(tinyllama, { torchDtype: 'bfloat16' })).toEqual(rest)
  })
})

describe('llama config', () => {
  it('counts TinyLlama at 1,100,048,384 parameters and bench-5m at 5.26M', () => {
    expect(parameterCount(tinyllama)).toBe(1_100_048_384)
    expect(parameterCount(presetConfig('bench-5m', 4096))).toBe(5_261_568)
    expect(parameterCount({ ...tinyllama, tieWordEmbeddings: true })).toBe(1_100_048_384 - 32000 * 2048)
  })

  it('lists HF names and shapes, lm_head included', () => {
    const cfg = presetConfig('debug', 300)
    const shapes = tensorShapes(cfg)
    expect(shapes.size).toBe(3 + 9 * 2)
    expect(shapes.get('model.embed_tokens.weight')).toEqual([300, 64])
    expect(shapes.get('model.layers.1.self_attn.q_proj.weight')).toEqual([64, 64])
    expect(shapes.get('model.layers.1.self_attn.k_proj.weight')).toEqual([32, 64]) // 2 KV heads of 16
    expect(shapes.get('model.layers.0.mlp.down_proj.weight')).toEqual([64, 176])
    expect(shapes.get('lm_head.weight')).toEqual([300, 64])
    expect([...shapes.keys()].at(-2)).toBe('model.norm.weight')
  })

  it('presets follow the shape rules', () => {
    expect(swigluIntermediateSize(2048, 256)).toBe(5632)
    expect(swigluIntermediateSize(256)).toBe(688)
    for (const name of Object.keys(PRESETS)) {
      const cfg = presetConfig(name, name === 'tinyllama-1.1b' ? undefined : 32000)
      if (name !== 'tinyllama-1.1b') expect(cfg.intermediateSize, name).toBe(swigluIntermediateSize(cfg.hiddenSize))
      if (cfg.hiddenSize >= 512) expect(headDim(cfg), name).toBe(64)
      if (cfg.numAttentionHeads >= 8) expect(cfg.numAttentionHeads / cfg.numKeyValueHeads, name).toBe(8)
      expect(cfg.tieWordEmbeddings).toBe(false)
    }
    const size = (name: string) => nonEmbeddingParameterCount(presetConfig(name, 32000))
    expect(size('proxy-1m')).toBeGreaterThan(0.9e6)
    expect(size('proxy-1m')).toBeLessThan(1.1e6)
    expect(size('proxy-10m')).toBeGreaterThan(9e6)
    expect(size('proxy-10m')).toBeLessThan(11e6)
    expect(size('proxy-50m')).toBeGreaterThan(45e6)
    expect(size('proxy-50m')).toBeLessThan(55e6)
    expect(presetConfig('debug', 256, { eosTokenId: 0 }).eosTokenId).toBe(0)
  })

  it('refuses unknown presets, a missing vocabulary, and another vocabulary for TinyLlama', () => {
    expect(() => presetConfig('gpt-5')).toThrow(/Unknown model preset "gpt-5"/)
    expect(() => presetConfig('proxy-1m')).toThrow(/needs a vocabulary size/)
    expect(() => presetConfig('tinyllama-1.1b', 50000)).toThrow(/fixed vocabulary of 32000/)
    expect(() => presetConfig('debug', 2)).toThrow(/eos token id 2 is outside the vocabulary of 2/)
  })

  it('refuses configs it cannot run exactly, naming the field', () => {
    const base = toHfConfig(tinyllama)
    expect(() => readHfConfig({ ...base, rope_scaling: { type: 'linear', factor: 2 } })).toThrow(/rope_scaling .*not supported/)
    expect(() => readHfConfig({ ...base, model_type: 'mistral' })).toThrow(/model_type is "mistral"/)
    expect(() => readHfConfig({ ...base, hidden_act: 'gelu' })).toThrow(/hidden_act is "gelu"/)
    expect(() => readHfConfig({ ...base, attention_bias: true })).toThrow(/biases/)
    expect(() => readHfConfig({ ...base, head_dim: 128 })).toThrow(/head_dim 128/)
    const { hidden_size: _h, ...noHidden } = base
    expect(() => readHfConfig(noHidden)).toThrow(/config.json: field hidden_size/)
    expect(() => readHfConfig({ ...base, num_key_value_heads: 5 })).toThrow(/32 attention heads are not divisible by 5/)
    expect(() => readHfConfig([])).toThrow(/expected a JSON object/)
    expect(errorCode(() => readHfConfig({ ...base, rope_scaling: { type: 'dynamic' } }))).toBe('unsupported')
    expect(errorCode(() => readHfConfig({ ...base, vocab_size: -1 }))).toBe('invalid_input')
  })

  it('fills HF defaults and takes the first of several eos ids', () => {
    const { num_key_value_heads: _k, rope_theta: _t, ...rest } = toHfConfig(tinyllama)
    const cfg = readHfConfig({ ...rest, eos_token_id: [2, 1] })
    expect(cfg.numKeyValueHeads).toBe(32)
    expect(cfg.ropeTheta).toBe(10000)
    expect(cfg.eosTokenId).toBe(2)
  })
})
