// Turns raw done/total counts into progress with a smoothed rate and an ETA, and throttles updates.
import type { JobProgress } from '../../shared/jobs'

const SMOOTHING = 0.3
const MIN_INTERVAL_MS = 200

export class ProgressMeter {
  private last: { t: number; done: number } | null = null
  private rate: number | null = null
  private lastSent = -Infinity
  private current: JobProgress = { done: 0, total: null, unit: 'items', rate: null, etaSeconds: null, message: '' }

  constructor(
    private readonly send: (p: JobProgress) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(u: { done: number; total?: number | null; unit?: string; message?: string }): void {
    const t = this.now()
    if (this.last && t > this.last.t && u.done >= this.last.done) {
      const instant = ((u.done - this.last.done) * 1000) / (t - this.last.t)
      this.rate = this.rate === null ? instant : SMOOTHING * instant + (1 - SMOOTHING) * this.rate
    }
    if (!this.last || t - this.last.t >= 100) this.last = { t, done: u.done }
    const total = u.total === undefined ? this.current.total : u.total
    const eta = total !== null && this.rate && this.rate > 0 ? Math.max(0, (total - u.done) / this.rate) : null
    this.current = {
      done: u.done,
      total,
      unit: u.unit ?? this.current.unit,
      rate: this.rate,
      etaSeconds: eta,
      message: u.message ?? this.current.message,
    }
    const finished = total !== null && u.done >= total
    if (finished || t - this.lastSent >= MIN_INTERVAL_MS) this.flush()
  }

  flush(): void {
    this.lastSent = this.now()
    this.send(this.current)
  }
}
