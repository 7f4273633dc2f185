// A plain, slow Llama forward pass over Hugging Face named tensors (float64 sums, no TF.js), written straight from
// transformers' LlamaForCausalLM: a test oracle that pins the conventions (rotate-half RoPE, repeat_kv head grouping,
// RMSNorm eps inside the root, SwiGLU order) which the TF.js model, our weight files and llama.cpp must all agree on.
import { type LlamaConfig, headDim } from '../../src/main/weights/llama-config'
import type { NamedTensors } from '../../src/main/weights/named-tensors'

/** nn.Linear: out[r] = sum_c W[r, c] x[c], W stored [out, in]. */
function matvec(w: Float32Array, rows: number, cols: number, x: Float64Array): Float64Array {
  const out = new Float64Array(rows)
  for (let r = 0; r < rows; r++) {
    let s = 0
    const base = r * cols
    for (let c = 0; c < cols; c++) s += w[base + c]! * x[c]!
    out[r] = s
  }
  return out
}

/** LlamaRMSNorm: weight * (x * rsqrt(mean(x^2) + eps)). */
function rmsNorm(x: Float64Array, w: Float32Array, eps: number): Float64Array {
  let ms = 0
  for (const v of x) ms += v * v
  const scale = 1 / Math.sqrt(ms / x.length + eps)
  return x.map((v, i) => v * scale * w[i]!)
}

/** Rotate-half RoPE (x * cos + cat(-x2, x1) * sin) on every head of `v` (heads * dim values) at position `pos`, in place. */
function rope(v: Float64Array, heads: number, dim: number, pos: number, theta: number): void {
  const half = dim / 2
  for (let i = 0; i < half; i++) {
    const angle = pos / theta ** ((2 * i) / dim)
    const cos = Math.cos(angle)
    const sin = Math.sin(angle)
    for (let h = 0; h < heads; h++) {
      const a = v[h * dim + i]!
      const b = v[h * dim + i + half]!
      v[h * dim + i] = a * cos - b * sin
      v[h * dim + i + half] = b * cos + a * sin
    }
  }
}

/** Logits at every position of `tokens` (no BOS is added): [position][vocab]. */
export function referenceLogits(cfg: LlamaConfig, tensors: NamedTensors, tokens: readonly number[]): Float64Array[] {
  const w = (name: string): Float32Array => {
    const t = tensors.get(name)
    if (!t) throw new Error(`reference forward: missing tensor ${name}`)
    return t.data
  }
  const H = cfg.hiddenSize
  const nh = cfg.numAttentionHeads
  const nkv = cfg.numKeyValueHeads
  const hd = headDim(cfg)
  const M = cfg.intermediateSize
  const embed = w('model.embed_tokens.weight')
  let xs = tokens.map((t) => Float64Array.from(embed.subarray(t * H, (t + 1) * H)))
  for (let l = 0; l < cfg.numHiddenLayers; l++) {
    const p = `model.layers.${l}`
    const ks: Float64Array[] = []
    const vs: Float64Array[] = []
    const qs: Float64Array[] = []
    for (let t = 0; t < xs.length; t++) {
      const h = rmsNorm(xs[t]!, w(`${p}.input_layernorm.weight`), cfg.rmsNormEps)
      const q = matvec(w(`${p}.self_attn.q_proj.weight`), nh * hd, H, h)
      const k = matvec(w(`${p}.self_attn.k_proj.weight`), nkv * hd, H, h)
      rope(q, nh, hd, t, cfg.ropeTheta)
      rope(k, nkv, hd, t, cfg.ropeTheta)
      qs.push(q)
      ks.push(k)
      vs.push(matvec(w(`${p}.self_attn.v_proj.weight`), nkv * hd, H, h))
    }
    xs = xs.map((x, t) => {
      const attn = new Float64Array(nh * hd)
      for (let h = 0; h < nh; h++) {
        // repeat_kv repeats each key-value head in place: query head h reads key-value head floor(h / (nh / nkv)).
        const g = Math.floor(h / (nh / nkv))
        const scores = new Float64Array(t + 1)
        let max = -Infinity
        for (let s = 0; s <= t; s++) {
          let dot = 0
          for (let i = 0; i < hd; i++) dot += qs[t]![h * hd + i]! * ks[s]![g * hd + i]!
          scores[s] = dot / Math.sqrt(hd)
          max = Math.max(max, scores[s]!)
        }
        let sum = 0
        for (let s = 0; s <= t; s++) sum += scores[s] = Math.exp(scores[s]! - max)
        for (let s = 0; s <= t; s++) for (let i = 0; i < hd; i++) attn[h * hd + i]! += (scores[s]! / sum) * vs[s]![g * hd + i]!
      }
      const o = matvec(w(`${p}.self_attn.o_proj.weight`), H, nh * hd, attn)
      const x1 = x.map((v, i) => v + o[i]!)
      const h2 = rmsNorm(x1, w(`${p}.post_attention_layernorm.weight`), cfg.rmsNormEps)
      const gate = matvec(w(`${p}.mlp.gate_proj.weight`), M, H, h2)
      const up = matvec(w(`${p}.mlp.up_proj.weight`), M, H, h2)
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!)
      const down = matvec(w(`${p}.mlp.down_proj.weight`), H, M, act)
      return x1.map((v, i) => v + down[i]!)
    })
  }
  const head = cfg.tieWordEmbeddings ? embed : w('lm_head.weight')
  return xs.map((x) => matvec(head, cfg.vocabSize, H, rmsNorm(x, w('model.norm.weight'), cfg.rmsNormEps)))
}

/** Natural-log probabilities of every next token after `tokens`. */
export function referenceNextTokenLogProbs(cfg: LlamaConfig, tensors: NamedTensors, tokens: readonly number[]): Float64Array {
  const logits = referenceLogits(cfg, tensors, tokens).at(-1)!
  let max = -Infinity
  for (const v of logits) max = Math.max(max, v)
  let sum = 0
  for (const v of logits) sum += Math.exp(v - max)
  const lse = max + Math.log(sum)
  return logits.map((v) => v - lse)
}
