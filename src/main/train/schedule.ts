// Learning-rate schedules: linear warmup, then cosine decay, warmup-stable-decay (WSD) or a constant rate.
import type { LrSchedule } from '../../shared/runs'

/** The learning rate for optimizer step `step` (0-based) of `totalSteps`. */
export function learningRate(s: LrSchedule, step: number, totalSteps: number): number {
  const warmup = Math.min(s.warmupSteps, totalSteps)
  if (step < warmup) {
    // Linear from warmupStartLr (before step 0) to lr at the last warmup step: step 0 already takes one increment.
    return s.warmupStartLr + ((s.lr - s.warmupStartLr) * (step + 1)) / warmup
  }
  const after = totalSteps - warmup
  switch (s.kind) {
    case 'constant':
      return s.lr
    case 'cosine': {
      if (after <= 1) return s.lr
      const progress = Math.min(1, (step - warmup) / (after - 1))
      return s.minLr + 0.5 * (s.lr - s.minLr) * (1 + Math.cos(Math.PI * progress))
    }
    case 'wsd': {
      // Stable at lr, then linear decay to minLr over the last decayFraction of the steps after warmup.
      const decaySteps = Math.max(1, Math.round(after * s.decayFraction))
      const decayStart = totalSteps - decaySteps
      if (step < decayStart) return s.lr
      const progress = Math.min(1, (step - decayStart + 1) / decaySteps)
      return s.lr + (s.minLr - s.lr) * progress
    }
  }
}
