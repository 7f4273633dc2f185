// A Llama (Hugging Face LlamaForCausalLM) on TF.js: weights as named variables, the training forward and loss,
// and a KV-cached forward for generation. Linear weights are stored transposed, [in, out], so every product is
// a plain 2-D matMul; toNamedTensors/fromNamedTensors convert to and from the HF [out, in] layout.
import * as tf from '@tensorflow/tfjs'
import { AppError } from '../../shared/errors'
import { type LlamaConfig, checkLlamaConfig, headDim, tensorShapes } from '../weights/llama-config'
import { type NamedTensors, elementCount, formatShape, sameShape } from '../weights/named-tensors'
import { causalMask } from './attention'
import { type LayerWeights, decoderLayer, headLoss } from './fused'
import { type GenerateOptions, generateTokens } from './generate'
import {
  type Kernels,
  applyAttention,
  applyCrossEntropy,
  applyEmbedding,
  applyLinear,
  applyRmsNorm,
  applyRope,
  applySwiglu,
  defaultKernels,
} from './kernels'
import { Prng, seedFor } from '../util/prng'
import { Rope } from './rope'

export interface ModelOptions {
  /**
   * Prefix for the variable names. tfjs variable names are global to the process, so a second model alive at
   * the same time needs one; the default (none) gives the Hugging Face names.
   */
  namePrefix?: string
  /** Implementation choices; default: the fastest for the active backend, decided at each call. */
  kernels?: Partial<Kernels>
}

/** Keys and values of the positions already seen, per layer: [batch, length, kvHeads, headDim]. */
export class KvCache {
  length = 0
  readonly keys: (tf.Tensor4D | null)[]
  readonly values: (tf.Tensor4D | null)[]

  constructor(
    readonly batch: number,
    layers: number,
    readonly maxLength: number,
  ) {
    this.keys = new Array<tf.Tensor4D | null>(layers).fill(null)
    this.values = new Array<tf.Tensor4D | null>(layers).fill(null)
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose()
    this.keys.fill(null)
    this.values.fill(null)
    this.length = 0
  }
}

interface Layer {
  inputNorm: tf.Variable
  q: tf.Variable
  k: tf.Variable
  v: tf.Variable
  o: tf.Variable
  postNorm: tf.Variable
  gate: tf.Variable
  up: tf.Variable
  down: tf.Variable
}

/** HF names of the Linear weights (stored transposed here). */
function isLinear(name: string): boolean {
  return name === 'lm_head.weight' || /\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$/.test(name)
}

export class LlamaModel {
  readonly config: LlamaConfig
  private readonly vars = new Map<string, tf.Variable>()
  private readonly layers: Layer[] = []
  private readonly embed: tf.Variable
  private readonly norm: tf.Variable
  /** [hidden, vocab]; null when tied to the embeddings. */
  private readonly lmHead: tf.Variable | null
  private readonly rope: Rope
  private readonly masks = new Map<number, tf.Tensor2D>()
  private readonly kernelOverrides: Partial<Kernels>
  private disposed = false

  private constructor(config: LlamaConfig, tensors: NamedTensors, opts: ModelOptions) {
    this.config = checkLlamaConfig(config)
    this.kernelOverrides = opts.kernels ?? {}
    const prefix = opts.namePrefix ?? ''
    const shapes = tensorShapes(config)
    try {
      for (const [name, shape] of shapes) {
        if (name === 'lm_head.weight' && config.tieWordEmbeddings) continue
        const t = tensors.get(name)
        if (!t) throw new AppError('invalid_input', `The weights lack ${name} (shape ${formatShape(shape)})`)
        if (!sameShape(t.shape, shape)) throw new AppError('invalid_input', `${name} has shape ${formatShape(t.shape)}; the config needs ${formatShape(shape)}`)
        if (t.data.length !== elementCount(shape)) throw new AppError('invalid_input', `${name} holds ${t.data.length} values; shape ${formatShape(shape)} needs ${elementCount(shape)}`)
        const value = tf.tidy(() => {
          const x = tf.tensor(t.data, shape, 'float32')
          return isLinear(name) ? tf.transpose(x) : x
        })
        this.vars.set(name, tf.variable(value, true, prefix + name))
        value.dispose()
      }
    } catch (e) {
      for (const v of this.vars.values()) v.dispose()
      throw e
    }
    const get = (name: string): tf.Variable => this.vars.get(name)!
    this.embed = get('model.embed_tokens.weight')
    for (let i = 0; i < config.numHiddenLayers; i++) {
      const p = `model.layers.${i}`
      this.layers.push({
        inputNorm: get(`${p}.input_layernorm.weight`),
        q: get(`${p}.self_attn.q_proj.weight`),
        k: get(`${p}.self_attn.k_proj.weight`),
        v: get(`${p}.self_attn.v_proj.weight`),
        o: get(`${p}.self_attn.o_proj.weight`),
        postNorm: get(`${p}.post_attention_layernorm.weight`),
        gate: get(`${p}.mlp.gate_proj.weight`),
        up: get(`${p}.mlp.up_proj.weight`),
        down: get(`${p}.mlp.down_proj.weight`),
      })
    }
    this.norm = get('model.norm.weight')
    this.lmHead = config.tieWordEmbeddings ? null : get('lm_head.weight')
    this.rope = new Rope(headDim(config), config.ropeTheta)
  }

  /**
   * A new model as transformers initialises one: every Linear and the embeddings N(0, 0.02), norms 1.
   * Deterministic: each tensor draws from its own stream, seeded by `seed` and its name.
   */
  static init(config: LlamaConfig, seed: number, opts: ModelOptions = {}): LlamaModel {
    const tensors: NamedTensors = new Map()
    for (const [name, shape] of tensorShapes(checkLlamaConfig(config))) {
      if (name === 'lm_head.weight' && config.tieWordEmbeddings) continue
      const n = elementCount(shape)
      const data = shape.length === 1 ? new Float32Array(n).fill(1) : new Prng(seedFor(seed, name)).normalArray(n, 0.02)
      tensors.set(name, { shape, data })
    }
    return new LlamaModel(config, tensors, opts)
  }

  /** A model from Hugging Face-named tensors ([out, in] Linear weights); lm_head may be absent when tied. */
  static fromNamedTensors(config: LlamaConfig, tensors: NamedTensors, opts: ModelOptions = {}): LlamaModel {
    return new LlamaModel(config, tensors, opts)
  }

  /** The weights with Hugging Face names and layout; a tied model lists lm_head.weight as a copy of the embeddings. */
  toNamedTensors(): NamedTensors {
    this.checkAlive()
    const out: NamedTensors = new Map()
    for (const [name, shape] of tensorShapes(this.config)) {
      const v = name === 'lm_head.weight' && this.config.tieWordEmbeddings ? this.embed : this.vars.get(name)!
      const tied = v === this.embed && name === 'lm_head.weight'
      const t = tf.tidy(() => (isLinear(name) && !tied ? tf.transpose(v) : tf.clone(v)))
      out.set(name, { shape, data: t.dataSync() as Float32Array })
      t.dispose()
    }
    return out
  }

  /** Trainable variables in checkpoint order (a tied model has no lm_head variable). Shapes are the internal ones. */
  variables(): tf.Variable[] {
    return [...this.vars.values()]
  }

  /** Hugging Face name (without the prefix) to variable. */
  namedVariables(): Map<string, tf.Variable> {
    return new Map(this.vars)
  }

  /** The implementation choices in effect for the active backend. */
  kernels(): Kernels {
    return { ...defaultKernels(), ...this.kernelOverrides }
  }

  /** Logits [b, t, vocab] for int32 token ids [b, t]. */
  logits(ids: tf.Tensor2D): tf.Tensor3D {
    this.checkAlive()
    const [b, t] = ids.shape
    const k = this.kernels()
    return tf.tidy(() => {
      const x = applyRmsNorm(k, this.hidden(ids, null, k), this.norm as tf.Tensor1D, this.config.rmsNormEps)
      return applyLinear(k, x, this.head()).reshape([b, t, this.config.vocabSize])
    })
  }

  /** Mean cross-entropy of next-token predictions; targets [b, t] int32, -1 = ignore. */
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    this.checkAlive()
    if (!sameShape(inputs.shape, targets.shape)) throw new AppError('invalid_input', `inputs ${formatShape(inputs.shape)} and targets ${formatShape(targets.shape)} differ in shape`)
    const k = this.kernels()
    return tf.tidy(() => {
      const x = this.hidden(inputs, null, k)
      const t = targets.reshape([-1]) as tf.Tensor1D
      if (k.layers === 'fused') return headLoss(x, this.norm as tf.Tensor1D, this.head(), t, this.config.rmsNormEps)
      const logits = applyLinear(k, applyRmsNorm(k, x, this.norm as tf.Tensor1D, this.config.rmsNormEps), this.head())
      return applyCrossEntropy(k, logits, t)
    })
  }

  /** An empty KV cache for `batch` sequences of at most maxPositionEmbeddings tokens. */
  createCache(batch = 1): KvCache {
    return new KvCache(batch, this.config.numHiddenLayers, this.config.maxPositionEmbeddings)
  }

  /** Feeds ids [b, t] after the cached positions, appends their keys and values, returns the last position's logits [b, vocab]. */
  forwardCached(ids: tf.Tensor2D, cache: KvCache): tf.Tensor2D {
    this.checkAlive()
    const [b, t] = ids.shape
    if (b !== cache.batch) throw new AppError('invalid_input', `The cache holds ${cache.batch} sequences; got ${b}`)
    if (cache.length + t > cache.maxLength) throw new AppError('invalid_input', `${cache.length + t} positions exceed the model's context of ${cache.maxLength}`)
    const k = this.kernels()
    return tf.tidy(() => {
      const x = this.hidden(ids, cache, k)
      cache.length += t
      const last = tf.gather(x.reshape([b, t, this.config.hiddenSize]), [t - 1], 1).reshape([b, this.config.hiddenSize]) as tf.Tensor2D
      return applyLinear(k, applyRmsNorm(k, last, this.norm as tf.Tensor1D, this.config.rmsNormEps), this.head())
    })
  }

  /** Samples up to maxNewTokens tokens after the prompt, one at a time (stops at EOS unless told not to). */
  generate(promptIds: readonly number[], opts: GenerateOptions): AsyncGenerator<number> {
    return generateTokens(this, promptIds, opts)
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    for (const v of this.vars.values()) v.dispose()
    for (const m of this.masks.values()) m.dispose()
    this.masks.clear()
    this.rope.dispose()
  }

  private checkAlive(): void {
    if (this.disposed) throw new Error('This model has been disposed')
  }

  /** The causal mask of a full sequence of length t, kept per length (training uses one or two lengths). */
  private trainingMask(t: number): tf.Tensor2D {
    let m = this.masks.get(t)
    if (!m) {
      m = tf.keep(causalMask(t, t, 0))
      this.masks.set(t, m)
    }
    return m
  }

  /** The output projection [hidden, vocab]: lm_head, or the embeddings transposed when tied. */
  private head(): tf.Tensor2D {
    return this.lmHead ? (this.lmHead as tf.Tensor2D) : tf.transpose(this.embed as tf.Tensor2D)
  }

  /**
   * Embeddings and decoder layers: the hidden states [b*t, hidden] before the final norm. With a cache,
   * positions start at cache.length and the new keys/values are appended (kept tensors).
   */
  private hidden(ids: tf.Tensor2D, cache: KvCache | null, k: Kernels): tf.Tensor2D {
    const cfg = this.config
    const [b, t] = ids.shape
    const n = b * t
    const hd = headDim(cfg)
    const start = cache?.length ?? 0
    const mask = cache ? causalMask(t, start + t, start) : this.trainingMask(t)
    let x = applyEmbedding(k, this.embed as tf.Tensor2D, ids.reshape([n]) as tf.Tensor1D)
    if (!cache && k.layers === 'fused') {
      const shape = { batch: b, seq: t, heads: cfg.numAttentionHeads, kvHeads: cfg.numKeyValueHeads, headDim: hd, eps: cfg.rmsNormEps }
      for (const L of this.layers) x = decoderLayer(x, L as unknown as LayerWeights, shape, this.rope, mask, k.attention)
      return x
    }
    for (let i = 0; i < this.layers.length; i++) {
      const L = this.layers[i]!
      const h = applyRmsNorm(k, x, L.inputNorm as tf.Tensor1D, cfg.rmsNormEps)
      const q = applyRope(k, this.rope, applyLinear(k, h, L.q as tf.Tensor2D).reshape([b, t, cfg.numAttentionHeads, hd]), start)
      let kk = applyRope(k, this.rope, applyLinear(k, h, L.k as tf.Tensor2D).reshape([b, t, cfg.numKeyValueHeads, hd]), start)
      let v = applyLinear(k, h, L.v as tf.Tensor2D).reshape([b, t, cfg.numKeyValueHeads, hd]) as tf.Tensor4D
      if (cache) {
        const pk = cache.keys[i]
        const pv = cache.values[i]
        if (pk && pv) {
          kk = tf.concat([pk, kk], 1)
          v = tf.concat([pv, v], 1)
        }
        pk?.dispose()
        pv?.dispose()
        cache.keys[i] = tf.keep(kk)
        cache.values[i] = tf.keep(v)
      }
      const a = applyAttention(k, q, kk, v, mask).reshape([n, cfg.hiddenSize]) as tf.Tensor2D
      x = tf.add(x, applyLinear(k, a, L.o as tf.Tensor2D))
      const h2 = applyRmsNorm(k, x, L.postNorm as tf.Tensor1D, cfg.rmsNormEps)
      const m = applySwiglu(k, applyLinear(k, h2, L.gate as tf.Tensor2D), applyLinear(k, h2, L.up as tf.Tensor2D))
      x = tf.add(x, applyLinear(k, m, L.down as tf.Tensor2D))
    }
    return x
  }
}
