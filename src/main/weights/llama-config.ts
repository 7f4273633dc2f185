// Llama model shape: the config type, Hugging Face config.json mapping, presets, and the tensor names and shapes
// that every weight format and the model agree on.
import { z } from 'zod'
import { AppError } from '../../shared/errors'
import { checkNamedTensor, elementCount, formatShape, sameShape, type NamedTensor, type NamedTensors } from './named-tensors'

const PositiveInt = z.number().int().positive()
const TokenId = z.number().int().nonnegative()

/** The shape of a Llama model (LlamaForCausalLM without biases, no RoPE scaling, SiLU gating). */
export const LlamaConfig = z
  .object({
    vocabSize: PositiveInt,
    hiddenSize: PositiveInt,
    intermediateSize: PositiveInt,
    numHiddenLayers: PositiveInt,
    numAttentionHeads: PositiveInt,
    numKeyValueHeads: PositiveInt,
    maxPositionEmbeddings: PositiveInt,
    rmsNormEps: z.number().positive(),
    ropeTheta: z.number().positive(),
    tieWordEmbeddings: z.boolean(),
    bosTokenId: TokenId,
    eosTokenId: TokenId,
  })
  .strict()
export type LlamaConfig = z.infer<typeof LlamaConfig>

/** The fields of a Hugging Face Llama config.json that we read; HF's defaults apply where a field may be absent. */
const HfLlamaConfigJson = z.object({
  architectures: z.array(z.string()).nullish(),
  model_type: z.string().nullish(),
  vocab_size: PositiveInt,
  hidden_size: PositiveInt,
  intermediate_size: PositiveInt,
  num_hidden_layers: PositiveInt,
  num_attention_heads: PositiveInt,
  num_key_value_heads: PositiveInt.nullish(),
  head_dim: PositiveInt.nullish(),
  max_position_embeddings: PositiveInt.nullish(),
  rms_norm_eps: z.number().positive().nullish(),
  rope_theta: z.number().positive().nullish(),
  rope_scaling: z.unknown().optional(),
  tie_word_embeddings: z.boolean().nullish(),
  bos_token_id: TokenId.nullish(),
  eos_token_id: z.union([TokenId, z.array(TokenId).min(1)]).nullish(),
  hidden_act: z.string().nullish(),
  attention_bias: z.boolean().nullish(),
  mlp_bias: z.boolean().nullish(),
})
export type HfConfigJson = Record<string, unknown>

export type TorchDtype = 'float32' | 'bfloat16' | 'float16'

/**
 * Reads a Hugging Face `config.json` (already parsed). Refuses what this code cannot run exactly:
 * other architectures, RoPE scaling, biases, activations other than SiLU, a head_dim that is not hidden/heads.
 * `eos_token_id` given as a list (Llama 3 style) keeps its first id.
 */
export function readHfConfig(json: unknown, source = 'config.json'): LlamaConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new AppError('invalid_input', `${source}: expected a JSON object`)
  }
  const raw = json as Record<string, unknown>
  if (raw.model_type != null && raw.model_type !== 'llama') {
    throw new AppError('unsupported', `${source}: model_type is "${String(raw.model_type)}"; only "llama" models are supported`)
  }
  if (Array.isArray(raw.architectures) && !raw.architectures.includes('LlamaForCausalLM')) {
    throw new AppError('unsupported', `${source}: architectures is ${JSON.stringify(raw.architectures)}; only LlamaForCausalLM is supported`)
  }
  if (raw.hidden_act != null && raw.hidden_act !== 'silu') {
    throw new AppError('unsupported', `${source}: hidden_act is "${String(raw.hidden_act)}"; only "silu" (SwiGLU) is supported`)
  }
  if (raw.rope_scaling != null) {
    throw new AppError('unsupported', `${source}: rope_scaling is ${JSON.stringify(raw.rope_scaling)}; RoPE scaling is not supported (it must be null or absent)`)
  }
  if (raw.attention_bias === true || raw.mlp_bias === true) {
    throw new AppError('unsupported', `${source}: attention_bias/mlp_bias are set; Llama models with biases are not supported`)
  }
  const parsed = HfLlamaConfigJson.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new AppError('invalid_input', `${source}: field ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  const j = parsed.data
  const eos = Array.isArray(j.eos_token_id) ? j.eos_token_id[0]! : j.eos_token_id
  const cfg: LlamaConfig = {
    vocabSize: j.vocab_size,
    hiddenSize: j.hidden_size,
    intermediateSize: j.intermediate_size,
    numHiddenLayers: j.num_hidden_layers,
    numAttentionHeads: j.num_attention_heads,
    numKeyValueHeads: j.num_key_value_heads ?? j.num_attention_heads,
    maxPositionEmbeddings: j.max_position_embeddings ?? 2048,
    rmsNormEps: j.rms_norm_eps ?? 1e-6,
    ropeTheta: j.rope_theta ?? 10000,
    tieWordEmbeddings: j.tie_word_embeddings ?? false,
    bosTokenId: j.bos_token_id ?? 1,
    eosTokenId: eos ?? 2,
  }
  if (j.head_dim != null && j.head_dim * cfg.numAttentionHeads !== cfg.hiddenSize) {
    throw new AppError('unsupported', `${source}: head_dim ${j.head_dim} x ${cfg.numAttentionHeads} heads is not hidden_size ${cfg.hiddenSize}; only head_dim = hidden_size / num_attention_heads is supported`)
  }
  checkLlamaConfig(cfg, source)
  return cfg
}

/** Validates the structure of a config (divisibility rules), naming the source in the message. */
export function checkLlamaConfig(cfg: LlamaConfig, source = 'config'): LlamaConfig {
  const parsed = LlamaConfig.safeParse(cfg)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new AppError('invalid_input', `${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  const bad = (msg: string) => new AppError('invalid_input', `${source}: ${msg}`)
  if (cfg.hiddenSize % cfg.numAttentionHeads !== 0) throw bad(`hidden size ${cfg.hiddenSize} is not divisible by ${cfg.numAttentionHeads} attention heads`)
  if ((cfg.hiddenSize / cfg.numAttentionHeads) % 2 !== 0) throw bad(`head dimension ${cfg.hiddenSize / cfg.numAttentionHeads} is odd; rotary embeddings need an even one`)
  if (cfg.numAttentionHeads % cfg.numKeyValueHeads !== 0) throw bad(`${cfg.numAttentionHeads} attention heads are not divisible by ${cfg.numKeyValueHeads} key-value heads`)
  if (cfg.bosTokenId >= cfg.vocabSize) throw bad(`bos token id ${cfg.bosTokenId} is outside the vocabulary of ${cfg.vocabSize}`)
  if (cfg.eosTokenId >= cfg.vocabSize) throw bad(`eos token id ${cfg.eosTokenId} is outside the vocabulary of ${cfg.vocabSize}`)
  return cfg
}

/** A Hugging Face `config.json` object for the config (LlamaForCausalLM, as transformers writes it). */
export function toHfConfig(cfg: LlamaConfig, opts: { torchDtype?: TorchDtype } = {}): HfConfigJson {
  checkLlamaConfig(cfg)
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    bos_token_id: cfg.bosTokenId,
    eos_token_id: cfg.eosTokenId,
    hidden_act: 'silu',
    hidden_size: cfg.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: cfg.intermediateSize,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    model_type: 'llama',
    num_attention_heads: cfg.numAttentionHeads,
    num_hidden_layers: cfg.numHiddenLayers,
    num_key_value_heads: cfg.numKeyValueHeads,
    pretraining_tp: 1,
    rms_norm_eps: cfg.rmsNormEps,
    rope_scaling: null,
    rope_theta: cfg.ropeTheta,
    tie_word_embeddings: cfg.tieWordEmbeddings,
    torch_dtype: opts.torchDtype ?? 'float32',
    use_cache: true,
    vocab_size: cfg.vocabSize,
  }
}

export function headDim(cfg: LlamaConfig): number {
  return cfg.hiddenSize / cfg.numAttentionHeads
}

/**
 * Every tensor of the model with its Hugging Face name and row-major shape, in checkpoint order.
 * `lm_head.weight` is always listed: for tied configs it holds a copy of the embeddings in memory
 * (files omit it).
 */
export function tensorShapes(cfg: LlamaConfig): Map<string, number[]> {
  const h = cfg.hiddenSize
  const kv = cfg.numKeyValueHeads * headDim(cfg)
  const m = cfg.intermediateSize
  const shapes = new Map<string, number[]>()
  shapes.set('model.embed_tokens.weight', [cfg.vocabSize, h])
  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const p = `model.layers.${i}`
    shapes.set(`${p}.input_layernorm.weight`, [h])
    shapes.set(`${p}.self_attn.q_proj.weight`, [h, h])
    shapes.set(`${p}.self_attn.k_proj.weight`, [kv, h])
    shapes.set(`${p}.self_attn.v_proj.weight`, [kv, h])
    shapes.set(`${p}.self_attn.o_proj.weight`, [h, h])
    shapes.set(`${p}.post_attention_layernorm.weight`, [h])
    shapes.set(`${p}.mlp.gate_proj.weight`, [m, h])
    shapes.set(`${p}.mlp.up_proj.weight`, [m, h])
    shapes.set(`${p}.mlp.down_proj.weight`, [h, m])
  }
  shapes.set('model.norm.weight', [h])
  shapes.set('lm_head.weight', [cfg.vocabSize, h])
  return shapes
}

/**
 * Checks tensors against the config: every name present with its shape, nothing else. For tied configs,
 * `lm_head.weight` may be absent or must equal the embeddings. Returns the tensors a file should hold, in order.
 */
export function tensorsForConfig(config: LlamaConfig, tensors: NamedTensors): [string, NamedTensor][] {
  checkLlamaConfig(config)
  const expected = tensorShapes(config)
  for (const name of tensors.keys()) {
    if (!expected.has(name)) throw new AppError('invalid_input', `Tensor ${name} is not part of a Llama model with this config`)
  }
  const out: [string, NamedTensor][] = []
  for (const [name, shape] of expected) {
    const t = tensors.get(name)
    if (name === 'lm_head.weight' && config.tieWordEmbeddings) {
      const embed = tensors.get('model.embed_tokens.weight')!
      if (t && t.data !== embed.data && !t.data.every((v, i) => Object.is(v, embed.data[i]))) {
        throw new AppError('invalid_input', 'The config ties the word embeddings, but lm_head.weight differs from model.embed_tokens.weight')
      }
      continue
    }
    if (!t) throw new AppError('invalid_input', `Tensor ${name} is missing`)
    checkNamedTensor(name, t)
    if (!sameShape(t.shape, shape)) throw new AppError('invalid_input', `Tensor ${name} has shape ${formatShape(t.shape)}, the config says ${formatShape(shape)}`)
    out.push([name, t])
  }
  return out
}

/** The tensors of the config that a file lacks, given the names it holds (a tied config needs no lm_head.weight). */
export function missingTensors(config: LlamaConfig, found: ReadonlySet<string>): string[] {
  return [...tensorShapes(config).keys()].filter((n) => !found.has(n) && !(n === 'lm_head.weight' && config.tieWordEmbeddings))
}

/** Tensors read from a file in the config's order; lm_head.weight, when the file has none (tied), a copy of the embeddings. */
export function inConfigOrder(config: LlamaConfig, loaded: ReadonlyMap<string, NamedTensor>): NamedTensors {
  const tensors: NamedTensors = new Map()
  for (const name of tensorShapes(config).keys()) {
    const t = loaded.get(name)
    if (t) tensors.set(name, t)
  }
  if (!tensors.has('lm_head.weight')) {
    const embed = tensors.get('model.embed_tokens.weight')!
    tensors.set('lm_head.weight', { shape: [...embed.shape], data: embed.data.slice() })
  }
  return tensors
}

/** Trainable parameters (tied embeddings counted once). */
export function parameterCount(cfg: LlamaConfig): number {
  let n = 0
  for (const shape of tensorShapes(cfg).values()) n += elementCount(shape)
  return cfg.tieWordEmbeddings ? n - cfg.vocabSize * cfg.hiddenSize : n
}

/** Parameters outside the token embeddings and the output head (the size scaling laws use). */
export function nonEmbeddingParameterCount(cfg: LlamaConfig): number {
  return parameterCount(cfg) - cfg.vocabSize * cfg.hiddenSize * (cfg.tieWordEmbeddings ? 1 : 2)
}

/**
 * SwiGLU width rule: 8/3 x hidden rounded up to a multiple (LitGPT's `find_multiple(int(8 * h / 3), m)`).
 * The proxies use multiples of 16 (hidden 256 gives 688); TinyLlama's 5632 is the multiple of 256 for hidden 2048.
 */
export function swigluIntermediateSize(hiddenSize: number, multiple = 16): number {
  return Math.ceil(Math.floor((8 * hiddenSize) / 3) / multiple) * multiple
}

export interface PresetSpec {
  description: string
  /** Set when the preset fixes the vocabulary (its tokenizer is part of it); otherwise the caller gives it. */
  vocabSize?: number
  shape: Omit<LlamaConfig, 'vocabSize'>
}

const common = { rmsNormEps: 1e-5, ropeTheta: 10000, tieWordEmbeddings: false, bosTokenId: 1, eosTokenId: 2 } as const

/**
 * Built-in shapes. Proxies follow TinyLlama's rules: head dimension 64 where the width allows
 * (below hidden 512 the head count stays 8 and the head dimension shrinks), 8 query heads per key-value head
 * as in TinyLlama (32:4), SwiGLU width from `swigluIntermediateSize` (multiple of 16), untied embeddings,
 * RMSNorm eps 1e-5, theta 10000. Proxy names give the non-embedding parameter count, because the
 * vocabulary comes from the tokenizer; `parameterCount` gives the total for a vocabulary.
 */
export const PRESETS = {
  'tinyllama-1.1b': {
    description: 'TinyLlama-1.1B (22 layers, hidden 2048, 32 heads / 4 KV heads, MLP 5632, Llama-2 vocabulary)',
    vocabSize: 32000,
    shape: { hiddenSize: 2048, intermediateSize: 5632, numHiddenLayers: 22, numAttentionHeads: 32, numKeyValueHeads: 4, maxPositionEmbeddings: 2048, ...common },
  },
  'proxy-50m': {
    description: 'about 54M non-embedding parameters: hidden 1024, 5 layers, 16 heads / 2 KV heads, MLP 2736',
    shape: { hiddenSize: 1024, intermediateSize: 2736, numHiddenLayers: 5, numAttentionHeads: 16, numKeyValueHeads: 2, maxPositionEmbeddings: 2048, ...common },
  },
  'proxy-10m': {
    description: 'about 10.8M non-embedding parameters: hidden 512, 4 layers, 8 heads / 1 KV head, MLP 1376',
    shape: { hiddenSize: 512, intermediateSize: 1376, numHiddenLayers: 4, numAttentionHeads: 8, numKeyValueHeads: 1, maxPositionEmbeddings: 2048, ...common },
  },
  'proxy-1m': {
    description: 'about 1.03M non-embedding parameters: hidden 128, 6 layers, 8 heads (dim 16) / 1 KV head, MLP 352',
    shape: { hiddenSize: 128, intermediateSize: 352, numHiddenLayers: 6, numAttentionHeads: 8, numKeyValueHeads: 1, maxPositionEmbeddings: 2048, ...common },
  },
  'bench-5m': {
    description: 'benchmark shape: hidden 256, 4 layers, 4 heads, MLP 688 (5.26M parameters with a 4096-token vocabulary)',
    shape: { hiddenSize: 256, intermediateSize: 688, numHiddenLayers: 4, numAttentionHeads: 4, numKeyValueHeads: 4, maxPositionEmbeddings: 2048, ...common },
  },
  debug: {
    description: 'tiny, for tests: hidden 64, 2 layers, 4 heads / 2 KV heads, MLP 176',
    shape: { hiddenSize: 64, intermediateSize: 176, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, maxPositionEmbeddings: 512, ...common },
  },
} as const satisfies Record<string, PresetSpec>
export type PresetName = keyof typeof PRESETS

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name)
}

/**
 * The config of a preset. Presets without a fixed vocabulary need `vocabSize`; for those with one
 * (tinyllama-1.1b) it may be left out and must match when given. `overrides` changes
 * anything but the shape (token ids, context length, tying).
 */
export function presetConfig(
  name: string,
  vocabSize?: number,
  overrides: Partial<Pick<LlamaConfig, 'bosTokenId' | 'eosTokenId' | 'maxPositionEmbeddings' | 'tieWordEmbeddings'>> = {},
): LlamaConfig {
  if (!isPresetName(name)) {
    throw new AppError('invalid_input', `Unknown model preset "${name}"; known: ${Object.keys(PRESETS).join(', ')}`)
  }
  const spec: PresetSpec = PRESETS[name]
  let vocab = vocabSize
  if (spec.vocabSize !== undefined) {
    if (vocab !== undefined && vocab !== spec.vocabSize) {
      throw new AppError('invalid_input', `Preset ${name} has a fixed vocabulary of ${spec.vocabSize} tokens; got ${vocab}`)
    }
    vocab = spec.vocabSize
  }
  if (vocab === undefined) throw new AppError('invalid_input', `Preset ${name} needs a vocabulary size (it comes from the tokenizer)`)
  return checkLlamaConfig({ vocabSize: vocab, ...spec.shape, ...overrides }, `preset ${name}`)
}
