// Rotary position embeddings in the Hugging Face Llama convention: cos/sin of pos * theta^(-2i/d), the d/2
// frequencies repeated twice, and rotate_half(x) = cat(-x[d/2:], x[:d/2]).
import * as tf from '@tensorflow/tfjs'
import { customOp } from './ops'

/** cos and sin tables [positions, headDim] computed the way transformers does (fp32 inverse frequencies and angles). */
export function ropeTables(headDim: number, theta: number, start: number, length: number): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2
  const inv = new Float32Array(half)
  for (let i = 0; i < half; i++) inv[i] = Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / headDim))))
  const cos = new Float32Array(length * headDim)
  const sin = new Float32Array(length * headDim)
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < half; i++) {
      const angle = Math.fround((start + p) * inv[i]!)
      const c = Math.cos(angle)
      const s = Math.sin(angle)
      cos[p * headDim + i] = c
      cos[p * headDim + i + half] = c
      sin[p * headDim + i] = s
      sin[p * headDim + i + half] = s
    }
  }
  return { cos, sin }
}

/** R [d, d] with x R = rotate_half(x). */
export function rotateHalfMatrix(headDim: number): Float32Array {
  const half = headDim / 2
  const r = new Float32Array(headDim * headDim)
  for (let j = 0; j < half; j++) {
    r[(j + half) * headDim + j] = -1
    r[j * headDim + j + half] = 1
  }
  return r
}

/** Tensors a model keeps for RoPE: the rotation and a table that grows to the longest position seen. */
export class Rope {
  private readonly rot: tf.Tensor2D
  private readonly rotT: tf.Tensor2D
  private cos: tf.Tensor2D | null = null
  private sin: tf.Tensor2D | null = null
  private length = 0

  constructor(
    readonly headDim: number,
    readonly theta: number,
  ) {
    const r = rotateHalfMatrix(headDim)
    this.rot = tf.keep(tf.tensor2d(r, [headDim, headDim]))
    this.rotT = tf.keep(tf.transpose(this.rot))
  }

  /** cos and sin [length, headDim] for positions start .. start + length - 1. */
  tables(start: number, length: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    const end = start + length
    if (end > this.length) {
      const size = Math.max(end, Math.min(2 * this.length, 1 << 16))
      const t = ropeTables(this.headDim, this.theta, 0, size)
      this.cos?.dispose()
      this.sin?.dispose()
      this.cos = tf.keep(tf.tensor2d(t.cos, [size, this.headDim]))
      this.sin = tf.keep(tf.tensor2d(t.sin, [size, this.headDim]))
      this.length = size
    }
    if (start === 0 && length === this.length) return { cos: this.cos!, sin: this.sin! }
    return { cos: tf.slice(this.cos!, [start, 0], [length, this.headDim]), sin: tf.slice(this.sin!, [start, 0], [length, this.headDim]) }
  }

  /** x * cos + rotate_half(x) * sin for x [b, t, heads, headDim] at positions start .., rotate_half as x R. */
  forward(x: tf.Tensor4D, start: number): tf.Tensor4D {
    const [b, t, h, d] = x.shape
    const { cos, sin } = this.tables(start, t)
    const rotated = tf.matMul(x.reshape([b * t * h, d]) as tf.Tensor2D, this.rot).reshape([b, t, h, d])
    return tf.add(tf.mul(x, cos.reshape([t, 1, d])), tf.mul(rotated, sin.reshape([t, 1, d])))
  }

  /** The gradient of forward: dx = dy * cos + (dy * sin) R^T. */
  backward(dy: tf.Tensor4D, start: number): tf.Tensor4D {
    const [b, t, h, d] = dy.shape
    const { cos, sin } = this.tables(start, t)
    const back = tf.matMul(tf.mul(dy, sin.reshape([t, 1, d])).reshape([b * t * h, d]) as tf.Tensor2D, this.rotT).reshape([b, t, h, d])
    return tf.add(tf.mul(dy, cos.reshape([t, 1, d])), back)
  }

  /** forward as a differentiable op (no slices: rotate_half is a plain 2-D product). */
  apply(x: tf.Tensor4D, start: number): tf.Tensor4D {
    const f = customOp(([xi]) => ({
      value: this.forward(xi as tf.Tensor4D, start),
      gradFunc: (dy) => this.backward(dy as tf.Tensor4D, start),
    }))
    return f(x) as tf.Tensor4D
  }

  dispose(): void {
    this.rot.dispose()
    this.rotT.dispose()
    this.cos?.dispose()
    this.sin?.dispose()
    this.cos = null
    this.sin = null
    this.length = 0
  }
}
