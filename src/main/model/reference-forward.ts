// An independent Llama forward in plain JavaScript (float64 loops, no TF.js), written straight from the
// transformers LlamaForCausalLM code, for tests: it pins the conventions (rotate-half RoPE, repeat_kv head
// grouping, RMSNorm eps inside the root, SwiGLU order) that the TF.js model must match.
import type { LlamaConfig } from '../weights/llama-config'
import type { NamedTensors } from '../weights/named-tensors'

/** Logits [t][vocab] for each sequence of `ids` (each a list of token ids). */
export function referenceLogits(cfg: LlamaConfig, tensors: NamedTensors, ids: number[][]): number[][][] {
  return ids.map((seq) => referenceSequence(cfg, tensors, seq))
}

function referenceSequence(cfg: LlamaConfig, w: NamedTensors, ids: number[]): number[][] {
  const H = cfg.hiddenSize
  const nh = cfg.numAttentionHeads
  const nkv = cfg.numKeyValueHeads
  const hd = H / nh
  const get = (name: string): Float32Array => {
    const t = w.get(name)
    if (!t) throw new Error(`missing ${name}`)
    return t.data
  }
  // nn.Linear: y[o] = sum_i W[o, i] x[i], W stored [out, in].
  const linear = (x: number[], W: Float32Array, out: number): number[] => {
    const inDim = x.length
    const y = new Array<number>(out).fill(0)
    for (let o = 0; o < out; o++) {
      let s = 0
      for (let i = 0; i < inDim; i++) s += W[o * inDim + i]! * x[i]!
      y[o] = s
    }
    return y
  }
  // LlamaRMSNorm: weight * (x * rsqrt(mean(x^2) + eps)).
  const rmsNorm = (x: number[], g: Float32Array): number[] => {
    let ms = 0
    for (const v of x) ms += v * v
    ms /= x.length
    const r = 1 / Math.sqrt(ms + cfg.rmsNormEps)
    return x.map((v, i) => g[i]! * (v * r))
  }
  // apply_rotary_pos_emb: x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1), emb = cat(freqs, freqs).
  const rope = (x: number[], pos: number): number[] => {
    const half = hd / 2
    const out = new Array<number>(hd)
    for (let d = 0; d < hd; d++) {
      const i = d % half
      const angle = pos / Math.pow(cfg.ropeTheta, (2 * i) / hd)
      const rotated = d < half ? -x[d + half]! : x[d - half]!
      out[d] = x[d]! * Math.cos(angle) + rotated * Math.sin(angle)
    }
    return out
  }
  const silu = (v: number): number => v / (1 + Math.exp(-v))

  const embed = get('model.embed_tokens.weight')
  let xs: number[][] = ids.map((id) => Array.from(embed.subarray(id * H, (id + 1) * H)))
  for (let l = 0; l < cfg.numHiddenLayers; l++) {
    const p = `model.layers.${l}`
    const hs = xs.map((x) => rmsNorm(x, get(`${p}.input_layernorm.weight`)))
    // Per position, per head: q [nh][hd], k and v [nkv][hd], RoPE on q and k.
    const qs = hs.map((h, t) => {
      const q = linear(h, get(`${p}.self_attn.q_proj.weight`), nh * hd)
      return Array.from({ length: nh }, (_, head) => rope(q.slice(head * hd, (head + 1) * hd), t))
    })
    const ks = hs.map((h, t) => {
      const k = linear(h, get(`${p}.self_attn.k_proj.weight`), nkv * hd)
      return Array.from({ length: nkv }, (_, head) => rope(k.slice(head * hd, (head + 1) * hd), t))
    })
    const vs = hs.map((h) => {
      const v = linear(h, get(`${p}.self_attn.v_proj.weight`), nkv * hd)
      return Array.from({ length: nkv }, (_, head) => v.slice(head * hd, (head + 1) * hd))
    })
    // repeat_kv repeats each key-value head n_rep times in place: query head h reads kv head floor(h / n_rep).
    const nRep = nh / nkv
    const attnOut = qs.map((qt, t) => {
      const o: number[] = []
      for (let head = 0; head < nh; head++) {
        const kvHead = Math.floor(head / nRep)
        const scores: number[] = []
        for (let j = 0; j <= t; j++) {
          let s = 0
          for (let d = 0; d < hd; d++) s += qt[head]![d]! * ks[j]![kvHead]![d]!
          scores.push(s / Math.sqrt(hd))
        }
        const max = Math.max(...scores)
        const e = scores.map((s) => Math.exp(s - max))
        const z = e.reduce((a, b) => a + b, 0)
        for (let d = 0; d < hd; d++) {
          let acc = 0
          for (let j = 0; j <= t; j++) acc += (e[j]! / z) * vs[j]![kvHead]![d]!
          o.push(acc)
        }
      }
      return o
    })
    xs = xs.map((x, t) => {
      const a = linear(attnOut[t]!, get(`${p}.self_attn.o_proj.weight`), H)
      const x1 = x.map((v, i) => v + a[i]!)
      const h2 = rmsNorm(x1, get(`${p}.post_attention_layernorm.weight`))
      const g = linear(h2, get(`${p}.mlp.gate_proj.weight`), cfg.intermediateSize)
      const u = linear(h2, get(`${p}.mlp.up_proj.weight`), cfg.intermediateSize)
      const m = linear(g.map((gv, i) => silu(gv) * u[i]!), get(`${p}.mlp.down_proj.weight`), H)
      return x1.map((v, i) => v + m[i]!)
    })
  }
  const head = cfg.tieWordEmbeddings ? embed : get('lm_head.weight')
  return xs.map((x) => linear(rmsNorm(x, get('model.norm.weight')), head, cfg.vocabSize))
}
