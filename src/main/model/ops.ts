// Differentiable building blocks with hand-written gradients. On the wasm backend a matMul runs on XNNPACK
// only as a plain 2-D product (a transposed or batched one falls to a ~1 GFLOP/s loop), and tfjs's own matMul
// gradient uses transpose flags; `gather`'s gradient (UnsortedSegmentSum) does not exist on wasm. These ops
// keep every product plain 2-D and fuse elementwise chains to cut the number of passes over memory.
import * as tf from '@tensorflow/tfjs'

type Save = (tensors: tf.Tensor[]) => void
type Backward = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[]

/**
 * tf.customGrad with typed inputs. Whatever gradFunc needs from the forward must go through `save`:
 * the forward's intermediates are disposed before the backward runs.
 */
export function customOp(f: (inputs: tf.Tensor[], save: Save) => { value: tf.Tensor; gradFunc: Backward }): (...inputs: tf.Tensor[]) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc
    return f(args.slice(0, -1) as tf.Tensor[], save)
  })
  return (...inputs: tf.Tensor[]) => op(...inputs)
}

/** a [n, k] x b [k, m]; both gradients are plain 2-D products against explicit transposes. */
export function matmul(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matmulGrad(a, b) as tf.Tensor2D
}

const matmulGrad = customOp(([a, b], save) => {
  save([a!, b!])
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, saved) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D]
      const g = dy as tf.Tensor2D
      const da = tf.matMul(g, tf.transpose(sb))
      // XNNPACK packs the right operand and streams it for every block of rows of the left one: keep the
      // smaller of a and dy on the right (a [n, k] vs dy [n, m]); db = a^T dy = (dy^T a)^T.
      const db = sb.shape[1] > sb.shape[0] ? tf.transpose(tf.matMul(tf.transpose(g), sa)) : tf.matMul(tf.transpose(sa), g)
      return [da, db]
    },
  }
})

/**
 * x [..., in] x w [in, out] (w stored transposed from the Hugging Face [out, in] layout), as a plain 2-D product.
 */
export function linear(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  const inDim = w.shape[0]
  const outDim = w.shape[1]
  if (x.rank === 2) return matmul(x as tf.Tensor2D, w)
  const y = matmul(x.reshape([-1, inDim]) as tf.Tensor2D, w)
  return y.reshape([...x.shape.slice(0, -1), outDim])
}

/**
 * Rows of `table` [vocab, dim] for int32 `ids` (any shape); the gradient scatters rows back with scatterND,
 * which sums repeated ids and exists on every backend (unlike gather's UnsortedSegmentSum on wasm).
 */
export function embedding(table: tf.Tensor2D, ids: tf.Tensor): tf.Tensor {
  const flat = ids.reshape([-1]) as tf.Tensor1D
  const f = customOp(([t], save) => {
    save([flat])
    return {
      value: tf.gather(t as tf.Tensor2D, flat),
      gradFunc: (dy, saved) => tf.scatterND(saved[0]!.reshape([-1, 1]), dy, table.shape),
    }
  })
  const rows = f(table) as tf.Tensor2D
  return rows.reshape([...ids.shape, table.shape[1]])
}

/** RMSNorm over the last axis, HF style: x * rsqrt(mean(x^2) + eps) * w, in fp32. */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor1D, eps: number): tf.Tensor {
  const f = customOp(([xi, wi], save) => {
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(xi!), -1, true), eps))
    const xhat = tf.mul(xi!, r)
    save([r, xhat, wi!])
    return {
      value: tf.mul(xhat, wi!),
      gradFunc: (dy, saved) => {
        const [sr, sxhat, sw] = saved as [tf.Tensor, tf.Tensor, tf.Tensor]
        const g = tf.mul(dy, sw)
        // d/dx of x*r: r * (g - xhat * mean(g * xhat)), with r = (mean(x^2) + eps)^-1/2.
        const m = tf.mean(tf.mul(g, sxhat), -1, true)
        const dx = tf.mul(sr, tf.sub(g, tf.mul(sxhat, m)))
        const reduceAxes = Array.from({ length: dy.rank - 1 }, (_, i) => i)
        const dw = tf.sum(tf.mul(dy, sxhat), reduceAxes)
        return [dx, dw]
      },
    }
  })
  return f(x, w) as tf.Tensor
}

/** SwiGLU gate: silu(gate) * up, fused (silu(a) = a * sigmoid(a)). */
export function swiglu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  const f = customOp(([a, b], save) => {
    const s = tf.sigmoid(a!)
    const silu = tf.mul(a!, s)
    save([b!, s, silu])
    return {
      value: tf.mul(silu, b!),
      gradFunc: (dy, saved) => {
        const [sb, ss, ssilu] = saved as [tf.Tensor, tf.Tensor, tf.Tensor]
        // silu'(a) = s + a s (1 - s) = s + silu - silu * s
        const dsilu = tf.add(ss, tf.sub(ssilu, tf.mul(ssilu, ss)))
        return [tf.mul(tf.mul(dy, sb), dsilu), tf.mul(dy, ssilu)]
      },
    }
  })
  return f(gate, up) as tf.Tensor
}

/**
 * Mean token cross-entropy of logits [n, vocab] against int32 targets [n]; targets < 0 are ignored (the mean
 * is over the others; 0 when there are none). Log-softmax and NLL are fused: the forward keeps the softmax,
 * the backward is (softmax - onehot) * weight.
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  const [n, vocab] = logits.shape
  const f = customOp(([x], save) => {
    const xl = x as tf.Tensor2D
    const valid = tf.cast(tf.greaterEqual(targets, 0), 'float32')
    const count = tf.maximum(tf.sum(valid), 1)
    const weight = tf.div(valid, count) as tf.Tensor1D
    const safe = tf.maximum(targets, tf.scalar(0, 'int32')) as tf.Tensor1D
    const max = tf.max(xl, -1, true)
    const exp = tf.exp(tf.sub(xl, max))
    const sumExp = tf.sum(exp, -1, true)
    const lse = tf.add(tf.log(sumExp), max).reshape([n]) as tf.Tensor1D
    const picked = tf.gatherND(xl, tf.stack([tf.range(0, n, 1, 'int32'), safe], 1)) as tf.Tensor1D
    const probs = tf.div(exp, sumExp)
    save([probs, weight, safe])
    return {
      value: tf.sum(tf.mul(tf.sub(lse, picked), weight)),
      gradFunc: (dy, saved) => {
        const [p, w, t] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D]
        const scale = tf.mul(w, dy).reshape([n, 1])
        const onehot = tf.scatterND(tf.stack([tf.range(0, n, 1, 'int32'), t], 1), tf.ones([n]), [n, vocab])
        return tf.mul(tf.sub(p, onehot), scale)
      },
    }
  })
  return f(logits) as tf.Scalar
}
