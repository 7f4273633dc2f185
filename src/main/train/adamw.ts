// AdamW (decoupled weight decay, bias-corrected moments) and global-norm gradient clipping for TF.js variables.
import * as tf from '@tensorflow/tfjs'
import type { Optimizer } from '../../shared/runs'
import type { NamedTensors } from '../weights/named-tensors'

export class AdamW {
  /** First and second moments, keyed by variable name. */
  private readonly m = new Map<string, tf.Variable>()
  private readonly v = new Map<string, tf.Variable>()

  constructor(
    private readonly params: readonly tf.Variable[],
    private readonly opts: Optimizer,
  ) {
    for (const p of params) {
      this.m.set(p.name, tf.variable(tf.zerosLike(p), false, `${p.name}.adam_m`))
      this.v.set(p.name, tf.variable(tf.zerosLike(p), false, `${p.name}.adam_v`))
    }
  }

  /**
   * One update with gradients `grads` (name to tensor) at learning rate `lr`; `t` counts updates from 1.
   * Weight decay applies to matrices only (embeddings and projections), not to the RMSNorm gains.
   */
  apply(grads: Record<string, tf.Tensor>, lr: number, t: number): void {
    const { beta1, beta2, eps, weightDecay } = this.opts
    const c1 = 1 - beta1 ** t
    const c2 = 1 - beta2 ** t
    tf.tidy(() => {
      for (const p of this.params) {
        const g = grads[p.name]
        if (!g) throw new Error(`No gradient for ${p.name}`)
        const m = this.m.get(p.name)!
        const v = this.v.get(p.name)!
        const m1 = m.mul(beta1).add(g.mul(1 - beta1))
        const v1 = v.mul(beta2).add(g.square().mul(1 - beta2))
        m.assign(m1)
        v.assign(v1)
        const update = m1.div(c1).div(v1.div(c2).sqrt().add(eps))
        const decayed = p.rank >= 2 && weightDecay > 0 ? p.mul(1 - lr * weightDecay) : p
        p.assign(decayed.sub(update.mul(lr)))
      }
    })
  }

  /** The moments as named tensors (m.<name>, v.<name>) for a checkpoint. */
  async state(): Promise<NamedTensors> {
    const out: NamedTensors = new Map()
    for (const [prefix, moments] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of moments) out.set(`${prefix}.${name}`, { shape: t.shape, data: (await t.data()) as Float32Array })
    }
    return out
  }

  /** Restores moments saved by state(); every variable must be present with its shape. */
  restore(state: NamedTensors): void {
    for (const [prefix, moments] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of moments) {
        const saved = state.get(`${prefix}.${name}`)
        if (!saved || saved.shape.join() !== t.shape.join()) throw new Error(`Optimizer state lacks ${prefix}.${name} with shape [${t.shape.join(', ')}]`)
        t.assign(tf.tensor(saved.data, saved.shape))
      }
    }
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose()
  }
}

/** Scales gradients so their global L2 norm is at most maxNorm (0: no clipping); returns the norm before clipping. */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): { grads: Record<string, tf.Tensor>; norm: number } {
  const normT = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => g.square().sum()))))
  const norm = normT.dataSync()[0] ?? NaN
  normT.dispose()
  if (!(maxNorm > 0) || !(norm > maxNorm) || !Number.isFinite(norm)) return { grads, norm }
  const scale = maxNorm / (norm + 1e-6)
  const clipped: Record<string, tf.Tensor> = {}
  for (const [k, g] of Object.entries(grads)) {
    clipped[k] = g.mul(scale)
    g.dispose()
  }
  return { grads: clipped, norm }
}
