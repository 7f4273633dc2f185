// Which implementation of each model piece runs: the hand-written ones (fast on wasm, see ops.ts) or tfjs's
// stock ops with their own gradients (the baseline, and an independent reference in tests).
import * as tf from '@tensorflow/tfjs'
import { type AttentionImpl, attention } from './attention'
import { crossEntropy, embedding, linear, rmsNorm, swiglu } from './ops'
import type { Rope } from './rope'

export interface Kernels {
  /**
   * fused: each decoder layer, and the final norm + output head + cross-entropy, is one op with a hand-written
   * backward (memory freed layer by layer; the other choices below then apply only to the KV-cache path, except
   * attention); ops: composed from the pieces below through tfjs's tape.
   */
  layers: 'fused' | 'ops'
  /** custom: plain 2-D products with explicit-transpose gradients; stock: tf.matMul and its gradient. */
  linear: 'custom' | 'stock'
  /** scatter: gather with a scatterND gradient; onehot: one-hot matMul; gather: tf.gather (no gradient on wasm). */
  embedding: 'scatter' | 'onehot' | 'gather'
  attention: AttentionImpl
  /** matmul: rotate_half as a product with a fixed matrix and a fused gradient; slice: HF's slice and concat. */
  rope: 'matmul' | 'slice'
  /** fused: RMSNorm, SwiGLU and cross-entropy with hand-written gradients; stock: composed tfjs ops. */
  elementwise: 'fused' | 'stock'
}

/** tfjs's own ops throughout, as a stock TF.js port would be written (one-hot embedding where gather has no gradient). */
export const STOCK_KERNELS: Kernels = { layers: 'ops', linear: 'stock', embedding: 'onehot', attention: 'batched', rope: 'slice', elementwise: 'stock' }

/** The fastest choice for a tfjs backend name ('wasm', 'cpu', 'tensorflow', ...). */
export function defaultKernels(backend: string = tf.getBackend()): Kernels {
  if (backend === 'wasm') return { layers: 'fused', linear: 'custom', embedding: 'scatter', attention: 'per-head', rope: 'matmul', elementwise: 'fused' }
  if (backend === 'cpu') return { layers: 'fused', linear: 'custom', embedding: 'scatter', attention: 'batched', rope: 'matmul', elementwise: 'fused' }
  // Native TensorFlow runs transposed and batched products at full speed; its own matMul gradient avoids the copies.
  return { layers: 'fused', linear: 'stock', embedding: 'scatter', attention: 'batched', rope: 'matmul', elementwise: 'fused' }
}

export function applyLinear(k: Kernels, x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return k.linear === 'custom' ? (linear(x, w) as tf.Tensor2D) : tf.matMul(x, w)
}

export function applyEmbedding(k: Kernels, table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  switch (k.embedding) {
    case 'scatter':
      return embedding(table, ids) as tf.Tensor2D
    case 'gather':
      return tf.gather(table, ids)
    case 'onehot':
      return tf.matMul(tf.oneHot(ids, table.shape[0]).toFloat(), table)
  }
}

export function applyRmsNorm(k: Kernels, x: tf.Tensor2D, w: tf.Tensor1D, eps: number): tf.Tensor2D {
  if (k.elementwise === 'fused') return rmsNorm(x, w, eps) as tf.Tensor2D
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w)
}

export function applySwiglu(k: Kernels, gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D {
  if (k.elementwise === 'fused') return swiglu(gate, up) as tf.Tensor2D
  return tf.mul(tf.mul(gate, tf.sigmoid(gate)), up)
}

export function applyCrossEntropy(k: Kernels, logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  if (k.elementwise === 'fused') return crossEntropy(logits, targets)
  const valid = tf.cast(tf.greaterEqual(targets, 0), 'float32')
  const onehot = tf.oneHot(tf.maximum(targets, tf.scalar(0, 'int32')) as tf.Tensor1D, logits.shape[1]).toFloat()
  const picked = tf.sum(tf.mul(tf.logSoftmax(logits), onehot), -1)
  return tf.div(tf.neg(tf.sum(tf.mul(picked, valid))), tf.maximum(tf.sum(valid), 1)) as tf.Scalar
}

export function applyRope(k: Kernels, rope: Rope, x: tf.Tensor4D, start: number): tf.Tensor4D {
  if (k.rope === 'matmul') return rope.apply(x, start)
  const [, t, , d] = x.shape
  const half = d / 2
  const { cos, sin } = rope.tables(start, t)
  const x1 = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, half])
  const x2 = tf.slice(x, [0, 0, 0, half], [-1, -1, -1, half])
  const rotated = tf.concat([tf.neg(x2), x1], -1)
  return tf.add(tf.mul(x, cos.reshape([t, 1, d])), tf.mul(rotated, sin.reshape([t, 1, d])))
}

export function applyAttention(k: Kernels, q: tf.Tensor4D, kk: tf.Tensor4D, v: tf.Tensor4D, mask: tf.Tensor2D): tf.Tensor3D {
  return attention(q, kk, v, mask, k.attention)
}
