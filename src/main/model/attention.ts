// Causal grouped-query attention core: softmax(q k^T / sqrt(d) + mask) v, with each query head h reading
// key-value head floor(h / (heads / kvHeads)) as transformers' repeat_kv does.
import * as tf from '@tensorflow/tfjs'
import { matmul } from './ops'

export type AttentionImpl = 'per-head' | 'batched'

/** Additive causal mask [tq, tk] for queries at positions start .. start + tq - 1 over keys 0 .. tk - 1. */
export function causalMask(tq: number, tk: number, start: number): tf.Tensor2D {
  const m = new Float32Array(tq * tk)
  for (let i = 0; i < tq; i++) {
    for (let j = start + i + 1; j < tk; j++) m[i * tk + j] = -1e9
  }
  return tf.tensor2d(m, [tq, tk])
}

/**
 * q [b, tq, heads, d], k and v [b, tk, kvHeads, d], mask [tq, tk] → [b, tq, heads * d].
 * `per-head` runs one plain 2-D product per (batch, head) — the only products XNNPACK accelerates on wasm;
 * `batched` uses batched matMuls, best on native backends.
 */
export function attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor2D, impl: AttentionImpl): tf.Tensor3D {
  return impl === 'per-head' ? attentionPerHead(q, k, v, mask) : attentionBatched(q, k, v, mask)
}

function attentionPerHead(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor2D): tf.Tensor3D {
  const [b, tq, heads, d] = q.shape
  const [, tk, kvHeads] = k.shape
  const rep = heads / kvHeads
  const scale = 1 / Math.sqrt(d)
  // Scaling q (b*tq*heads*d values) is cheaper than scaling the scores (b*heads*tq*tk).
  const qs = tf.unstack(tf.transpose(tf.mul(q, scale), [0, 2, 1, 3]).reshape([b * heads, tq, d])) as tf.Tensor2D[]
  // Two steps, each a fast path: heads to the front (contiguous rows), then the last two axes swapped.
  const kts = tf.unstack(tf.transpose(tf.transpose(k, [0, 2, 1, 3]), [0, 1, 3, 2]).reshape([b * kvHeads, d, tk])) as tf.Tensor2D[]
  const vs = tf.unstack(tf.transpose(v, [0, 2, 1, 3]).reshape([b * kvHeads, tk, d])) as tf.Tensor2D[]
  const kvIndex = (i: number): number => Math.floor(i / heads) * kvHeads + Math.floor((i % heads) / rep)
  const scores = tf.stack(qs.map((qi, i) => matmul(qi, kts[kvIndex(i)]!))) as tf.Tensor3D
  const probs = tf.unstack(tf.softmax(tf.add(scores, mask))) as tf.Tensor2D[]
  const out = tf.stack(probs.map((p, i) => matmul(p, vs[kvIndex(i)]!))).reshape([b, heads, tq, d])
  return tf.transpose(out, [0, 2, 1, 3]).reshape([b, tq, heads * d])
}

function attentionBatched(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor2D): tf.Tensor3D {
  const [b, tq, heads, d] = q.shape
  const [, tk, kvHeads] = k.shape
  const rep = heads / kvHeads
  const expand = (x: tf.Tensor4D): tf.Tensor4D => {
    const t = tf.transpose(x, [0, 2, 1, 3]) as tf.Tensor4D
    if (rep === 1) return t
    // Rank 4 (tfjs has no rank-5 Tile gradient): kv head j serves query heads j*rep .. j*rep + rep - 1.
    return tf.broadcastTo(t.reshape([b, kvHeads, 1, tk * d]), [b, kvHeads, rep, tk * d]).reshape([b, heads, tk, d])
  }
  const qh = tf.transpose(tf.mul(q, 1 / Math.sqrt(d)), [0, 2, 1, 3]) as tf.Tensor4D
  const scores = tf.matMul(qh, expand(k), false, true)
  const probs = tf.softmax(tf.add(scores, mask))
  const out = tf.matMul(probs, expand(v))
  return tf.transpose(out, [0, 2, 1, 3]).reshape([b, tq, heads * d])
}
