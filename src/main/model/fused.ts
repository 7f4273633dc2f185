// Whole decoder layers and the output head as single differentiable ops with hand-written backward passes.
// tfjs's tape keeps every saved tensor and every intermediate gradient until the whole backward pass ends; one
// node per layer keeps only what the backward needs (x, the norm scales, q/k/v, attention probabilities when
// small, the MLP's gate and up) and frees each layer's transients as soon as its backward is done. Products are
// plain 2-D matMuls (XNNPACK on wasm) with explicit transposes.
import * as tf from '@tensorflow/tfjs'
import type { AttentionImpl } from './attention'
import { customOp } from './ops'
import type { Rope } from './rope'

export interface LayerShape {
  batch: number
  seq: number
  heads: number
  kvHeads: number
  headDim: number
  eps: number
}

export interface LayerWeights {
  inputNorm: tf.Tensor1D
  q: tf.Tensor2D
  k: tf.Tensor2D
  v: tf.Tensor2D
  o: tf.Tensor2D
  postNorm: tf.Tensor1D
  gate: tf.Tensor2D
  up: tf.Tensor2D
  down: tf.Tensor2D
}

const WEIGHT_ORDER = ['inputNorm', 'q', 'k', 'v', 'o', 'postNorm', 'gate', 'up', 'down'] as const

/** dW = x^T dy for y = x W; XNNPACK is fastest with the smaller of x and dy as the packed right operand. */
export function weightGrad(x: tf.Tensor2D, dy: tf.Tensor2D): tf.Tensor2D {
  return dy.shape[1] > x.shape[1] ? (tf.transpose(tf.matMul(tf.transpose(dy), x)) as tf.Tensor2D) : tf.matMul(tf.transpose(x) as tf.Tensor2D, dy)
}

/** x W^T as a plain product. */
function matMulT(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(x, tf.transpose(w))
}

function rmsScale(x: tf.Tensor2D, eps: number): tf.Tensor2D {
  return tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps)) as tf.Tensor2D
}

/** RMSNorm backward: dx = r (g - xhat mean(g xhat)), g = dy w; dw = sum(dy xhat). */
function rmsNormBackward(dy: tf.Tensor2D, x: tf.Tensor2D, r: tf.Tensor2D, w: tf.Tensor1D): [tf.Tensor2D, tf.Tensor1D] {
  const xhat = tf.mul(x, r)
  const g = tf.mul(dy, w)
  const dx = tf.mul(r, tf.sub(g, tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true)))) as tf.Tensor2D
  return [dx, tf.sum(tf.mul(dy, xhat), 0)]
}

/**
 * Keeping the attention probabilities costs heads x seq floats a token (TinyLlama at 2048: 64k, against 2k for
 * the hidden state); beyond 4 x hidden they are recomputed in the backward pass instead (one more q k^T).
 */
function keepProbs(s: LayerShape): boolean {
  return s.seq <= 4 * s.headDim
}

/** One Llama decoder layer, x [b*t, hidden] → [b*t, hidden], causal self-attention from position 0. */
export function decoderLayer(x: tf.Tensor2D, w: LayerWeights, s: LayerShape, rope: Rope, mask: tf.Tensor2D, impl: AttentionImpl): tf.Tensor2D {
  const op = customOp(([xi, ...ws], save) => {
    const W = Object.fromEntries(WEIGHT_ORDER.map((k, i) => [k, ws[i]])) as unknown as LayerWeights
    const x0 = xi as tf.Tensor2D
    const n = s.batch * s.seq
    const r1 = rmsScale(x0, s.eps)
    const h1 = tf.mul(tf.mul(x0, r1), W.inputNorm) as tf.Tensor2D
    const q = headsFirst(rope.forward(tf.matMul(h1, W.q).reshape([s.batch, s.seq, s.heads, s.headDim]), 0), s, s.heads, 1 / Math.sqrt(s.headDim))
    const k = headsFirst(rope.forward(tf.matMul(h1, W.k).reshape([s.batch, s.seq, s.kvHeads, s.headDim]), 0), s, s.kvHeads, 1)
    const v = headsFirst(tf.matMul(h1, W.v).reshape([s.batch, s.seq, s.kvHeads, s.headDim]) as tf.Tensor4D, s, s.kvHeads, 1)
    const { out, probs } = attentionForward(q, k, v, mask, s, impl)
    const a = headsLast(out, s)
    const x1 = tf.add(x0, tf.matMul(a, W.o)) as tf.Tensor2D
    const r2 = rmsScale(x1, s.eps)
    const h2 = tf.mul(tf.mul(x1, r2), W.postNorm) as tf.Tensor2D
    const g = tf.matMul(h2, W.gate)
    const u = tf.matMul(h2, W.up)
    const sg = tf.sigmoid(g)
    const m = tf.mul(tf.mul(g, sg), u) as tf.Tensor2D
    const y = tf.add(x1, tf.matMul(m, W.down))
    // Inputs the backward reads are saved too: the forward scope disposes tensors it created (a tied head's transpose).
    save([...ws, x0, r1, q, k, v, a, x1, r2, g, u, ...(keepProbs(s) ? [probs] : [])])
    return {
      value: y,
      gradFunc: (dy, saved) => tf.tidy(() => {
        const W = Object.fromEntries(WEIGHT_ORDER.map((k, i) => [k, saved[i]])) as unknown as LayerWeights
        const [sx, sr1, sq, sk, sv, sa, sx1, sr2, sgate, sup, sprobs] = saved.slice(WEIGHT_ORDER.length)
        const d = dy as tf.Tensor2D
        // MLP: y = x1 + down(silu(gate(h2)) * up(h2)).
        const hh2 = tf.mul(tf.mul(sx1!, sr2!), W.postNorm) as tf.Tensor2D
        const sig = tf.sigmoid(sgate!)
        const silu = tf.mul(sgate!, sig)
        const mm = tf.mul(silu, sup!) as tf.Tensor2D
        const dDown = weightGrad(mm, d)
        const dm = matMulT(d, W.down)
        const du = tf.mul(dm, silu) as tf.Tensor2D
        const dg = tf.mul(tf.mul(dm, sup!), tf.add(sig, tf.sub(silu, tf.mul(silu, sig)))) as tf.Tensor2D
        const dGate = weightGrad(hh2, dg)
        const dUp = weightGrad(hh2, du)
        const dh2 = tf.add(matMulT(dg, W.gate), matMulT(du, W.up)) as tf.Tensor2D
        const [dx1Norm, dPostNorm] = rmsNormBackward(dh2, sx1 as tf.Tensor2D, sr2 as tf.Tensor2D, W.postNorm)
        const dx1 = tf.add(d, dx1Norm) as tf.Tensor2D
        // Attention: x1 = x + o(a).
        const dO = weightGrad(sa as tf.Tensor2D, dx1)
        const dA = headsFirst(matMulT(dx1, W.o).reshape([s.batch, s.seq, s.heads, s.headDim]) as tf.Tensor4D, s, s.heads, 1)
        const { dq, dk, dv } = attentionBackward(dA, sq as tf.Tensor3D, sk as tf.Tensor3D, sv as tf.Tensor3D, (sprobs as tf.Tensor3D | undefined) ?? null, mask, s, impl)
        const dqRot = rope.backward(headsLast4(tf.mul(dq, 1 / Math.sqrt(s.headDim)) as tf.Tensor3D, s, s.heads), 0).reshape([n, s.heads * s.headDim]) as tf.Tensor2D
        const dkRot = rope.backward(headsLast4(dk, s, s.kvHeads), 0).reshape([n, s.kvHeads * s.headDim]) as tf.Tensor2D
        const dvFlat = headsLast(dv, s, s.kvHeads)
        // q, k and v share their input: one transpose of it serves the three weight gradients.
        const hh1T = tf.transpose(tf.mul(tf.mul(sx!, sr1!), W.inputNorm)) as tf.Tensor2D
        const dQ = tf.matMul(hh1T, dqRot)
        const dK = tf.matMul(hh1T, dkRot)
        const dV = tf.matMul(hh1T, dvFlat)
        const dh1 = tf.addN([matMulT(dqRot, W.q), matMulT(dkRot, W.k), matMulT(dvFlat, W.v)]) as tf.Tensor2D
        const [dxNorm, dInputNorm] = rmsNormBackward(dh1, sx as tf.Tensor2D, sr1 as tf.Tensor2D, W.inputNorm)
        return [tf.add(dx1, dxNorm), dInputNorm, dQ, dK, dV, dO, dPostNorm, dGate, dUp, dDown]
      }),
    }
  })
  return op(x, ...WEIGHT_ORDER.map((k) => w[k])) as tf.Tensor2D
}

/** [b, t, h, d] → [b*h, t, d], optionally scaled. */
function headsFirst(x: tf.Tensor4D, s: LayerShape, heads: number, scale: number): tf.Tensor3D {
  const scaled = scale === 1 ? x : tf.mul(x, scale)
  return tf.transpose(scaled, [0, 2, 1, 3]).reshape([s.batch * heads, s.seq, s.headDim])
}

/** [b*h, t, d] → [b, t, h, d]. */
function headsLast4(x: tf.Tensor3D, s: LayerShape, heads: number): tf.Tensor4D {
  return tf.transpose(x.reshape([s.batch, heads, s.seq, s.headDim]), [0, 2, 1, 3]) as tf.Tensor4D
}

/** [b*h, t, d] → [b*t, h*d]. */
function headsLast(x: tf.Tensor3D, s: LayerShape, heads = s.heads): tf.Tensor2D {
  return headsLast4(x, s, heads).reshape([s.batch * s.seq, heads * s.headDim])
}

/** Query head i (of b*heads) reads key-value head kvIndex(i) (of b*kvHeads), as repeat_kv does. */
function kvIndexer(s: LayerShape): (i: number) => number {
  const rep = s.heads / s.kvHeads
  return (i) => Math.floor(i / s.heads) * s.kvHeads + Math.floor((i % s.heads) / rep)
}

/** q [b*h, t, d] (already scaled), k, v [b*kv, t, d] → out [b*h, t, d] and probabilities [b*h, t, t]. */
function attentionForward(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, mask: tf.Tensor2D, s: LayerShape, impl: AttentionImpl): { out: tf.Tensor3D; probs: tf.Tensor3D } {
  if (impl === 'batched') {
    const probs = tf.softmax(tf.add(tf.matMul(q, expandKv(k, s), false, true), mask)) as tf.Tensor3D
    return { out: tf.matMul(probs, expandKv(v, s)), probs }
  }
  const kvIndex = kvIndexer(s)
  const qs = tf.unstack(q) as tf.Tensor2D[]
  const kts = tf.unstack(tf.transpose(k, [0, 2, 1])) as tf.Tensor2D[]
  const vs = tf.unstack(v) as tf.Tensor2D[]
  const probs = tf.softmax(tf.add(tf.stack(qs.map((qi, i) => tf.matMul(qi, kts[kvIndex(i)]!))), mask)) as tf.Tensor3D
  const ps = tf.unstack(probs) as tf.Tensor2D[]
  return { out: tf.stack(ps.map((p, i) => tf.matMul(p, vs[kvIndex(i)]!))) as tf.Tensor3D, probs }
}

/** [b*kv, t, d] → [b*h, t, d] with each kv head repeated for its group of query heads. */
function expandKv(x: tf.Tensor3D, s: LayerShape): tf.Tensor3D {
  const rep = s.heads / s.kvHeads
  if (rep === 1) return x
  return tf.broadcastTo(x.reshape([s.batch, s.kvHeads, 1, s.seq * s.headDim]), [s.batch, s.kvHeads, rep, s.seq * s.headDim]).reshape([s.batch * s.heads, s.seq, s.headDim])
}

/** Sum of the gradients of the query heads that share each kv head: [b*h, t, d] → [b*kv, t, d]. */
function reduceKv(x: tf.Tensor3D, s: LayerShape): tf.Tensor3D {
  const rep = s.heads / s.kvHeads
  if (rep === 1) return x
  return tf.sum(x.reshape([s.batch, s.kvHeads, rep, s.seq * s.headDim]), 2).reshape([s.batch * s.kvHeads, s.seq, s.headDim])
}

/**
 * With P = softmax(q k^T + mask) and out = P v: dP = dout v^T, dS = P (dP - rowsum(dP P)), dq = dS k,
 * dk = dS^T q, dv = P^T dout (summed over the query heads sharing a kv head).
 */
function attentionBackward(
  dOut: tf.Tensor3D,
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  savedProbs: tf.Tensor3D | null,
  mask: tf.Tensor2D,
  s: LayerShape,
  impl: AttentionImpl,
): { dq: tf.Tensor3D; dk: tf.Tensor3D; dv: tf.Tensor3D } {
  if (impl === 'batched') {
    const ke = expandKv(k, s)
    const ve = expandKv(v, s)
    const probs = savedProbs ?? (tf.softmax(tf.add(tf.matMul(q, ke, false, true), mask)) as tf.Tensor3D)
    const dP = tf.matMul(dOut, ve, false, true)
    const dS = tf.mul(probs, tf.sub(dP, tf.sum(tf.mul(dP, probs), -1, true))) as tf.Tensor3D
    return { dq: tf.matMul(dS, ke), dk: reduceKv(tf.matMul(dS, q, true, false), s), dv: reduceKv(tf.matMul(probs, dOut, true, false), s) }
  }
  const kvIndex = kvIndexer(s)
  const n = s.batch * s.heads
  const qs = tf.unstack(q) as tf.Tensor2D[]
  const ks = tf.unstack(k) as tf.Tensor2D[]
  const kts = savedProbs ? null : (tf.unstack(tf.transpose(k, [0, 2, 1])) as tf.Tensor2D[])
  const vts = tf.unstack(tf.transpose(v, [0, 2, 1])) as tf.Tensor2D[]
  const dOuts = tf.unstack(dOut) as tf.Tensor2D[]
  const probs = savedProbs ?? (tf.softmax(tf.add(tf.stack(qs.map((qi, i) => tf.matMul(qi, kts![kvIndex(i)]!))), mask)) as tf.Tensor3D)
  const dP = tf.stack(dOuts.map((g, i) => tf.matMul(g, vts[kvIndex(i)]!))) as tf.Tensor3D
  const dS = tf.mul(probs, tf.sub(dP, tf.sum(tf.mul(dP, probs), -1, true))) as tf.Tensor3D
  // Transposes of P and dS for all heads at once (one kernel call each), then per-head products.
  const pts = tf.unstack(tf.transpose(probs, [0, 2, 1])) as tf.Tensor2D[]
  const dss = tf.unstack(dS) as tf.Tensor2D[]
  const dsts = tf.unstack(tf.transpose(dS, [0, 2, 1])) as tf.Tensor2D[]
  const dq = tf.stack(dss.map((d, i) => tf.matMul(d, ks[kvIndex(i)]!))) as tf.Tensor3D
  const dkParts: tf.Tensor2D[][] = Array.from({ length: s.batch * s.kvHeads }, () => [])
  const dvParts: tf.Tensor2D[][] = Array.from({ length: s.batch * s.kvHeads }, () => [])
  for (let i = 0; i < n; i++) {
    dkParts[kvIndex(i)]!.push(tf.matMul(dsts[i]!, qs[i]!))
    dvParts[kvIndex(i)]!.push(tf.matMul(pts[i]!, dOuts[i]!))
  }
  const sum = (parts: tf.Tensor2D[]): tf.Tensor2D => (parts.length === 1 ? parts[0]! : (tf.addN(parts) as tf.Tensor2D))
  return { dq, dk: tf.stack(dkParts.map(sum)) as tf.Tensor3D, dv: tf.stack(dvParts.map(sum)) as tf.Tensor3D }
}

/**
 * Final RMSNorm, output projection and mean cross-entropy (targets < 0 ignored) as one op: x [n, hidden],
 * norm [hidden], head [hidden, vocab] (the embeddings transposed when tied), targets [n] → scalar.
 * The softmax is kept from the forward; the logit gradient is (softmax - onehot) * weight.
 */
export function headLoss(x: tf.Tensor2D, norm: tf.Tensor1D, head: tf.Tensor2D, targets: tf.Tensor1D, eps: number): tf.Scalar {
  const [n] = x.shape
  const vocab = head.shape[1]
  const op = customOp(([xi, wn, wh], save) => {
    const x0 = xi as tf.Tensor2D
    const r = rmsScale(x0, eps)
    const h = tf.mul(tf.mul(x0, r), wn!) as tf.Tensor2D
    const logits = tf.matMul(h, wh as tf.Tensor2D)
    const valid = tf.cast(tf.greaterEqual(targets, 0), 'float32')
    const weight = tf.div(valid, tf.maximum(tf.sum(valid), 1))
    const safe = tf.maximum(targets, tf.scalar(0, 'int32'))
    const max = tf.max(logits, -1, true)
    const exp = tf.exp(tf.sub(logits, max))
    const sumExp = tf.sum(exp, -1, true)
    const lse = tf.add(tf.log(sumExp), max).reshape([n])
    const picked = tf.gatherND(logits, tf.stack([tf.range(0, n, 1, 'int32'), safe], 1))
    save([wn!, wh!, x0, r, tf.div(exp, sumExp), weight, safe])
    return {
      value: tf.sum(tf.mul(tf.sub(lse, picked), weight)),
      gradFunc: (dy, saved) => tf.tidy(() => {
        const [swn, swh, sx, sr, probs, w, t] = saved as [tf.Tensor1D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D]
        const onehot = tf.scatterND(tf.stack([tf.range(0, n, 1, 'int32'), t], 1), tf.ones([n]), [n, vocab])
        const dLogits = tf.mul(tf.sub(probs, onehot), tf.mul(w, dy).reshape([n, 1])) as tf.Tensor2D
        const hh = tf.mul(tf.mul(sx, sr), swn) as tf.Tensor2D
        const dHead = weightGrad(hh, dLogits)
        const dh = matMulT(dLogits, swh)
        const [dx, dNorm] = rmsNormBackward(dh, sx, sr, swn)
        return [dx, dNorm, dHead]
      }),
    }
  })
  return op(x, norm, head) as tf.Scalar
}
