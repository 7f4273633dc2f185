// Scales, tick choice and downsampling for the line charts (no DOM here, so it is easy to reason about).

export interface Pt {
  x: number
  y: number
}

/** Palette slots: --chart-1 … --chart-6, with a light and a dark colour each (app.css). */
export type SeriesColor = 'c1' | 'c2' | 'c3' | 'c4' | 'c5' | 'c6'

/** One line of a LineChart. */
export interface ChartSeries {
  id: string
  label: string
  /** Sorted by x. Non-finite values are skipped. */
  points: Pt[]
  color: SeriesColor
  dashed?: boolean
  /** Dots on every point: for sparse series such as held-out evaluations. */
  markers?: boolean
  /** Drawn pale behind the others, without legend or tooltip entry (the raw curve under a smoothed one). */
  faint?: boolean
}

/** A round step near range / count: 1, 2, 2.5 or 5 × 10^k. */
function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count)
  const p = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p
  return 10 * p
}

/** Round ticks covering [lo, hi]; the domain becomes the first and last tick. */
export function linearTicks(lo: number, hi: number, count = 5): { domain: [number, number]; ticks: number[] } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { domain: [0, 1], ticks: [0, 1] }
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1
    lo -= pad
    hi += pad
  }
  const step = niceStep(hi - lo, count)
  const start = Math.floor(lo / step + 1e-9) * step
  const end = Math.ceil(hi / step - 1e-9) * step
  const ticks: number[] = []
  for (let v = start; v <= end + step * 1e-6; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)))
  return { domain: [start, end], ticks }
}

/**
 * Ticks for a log axis over [lo, hi] (both > 0). Within a decade or so, round linear ticks placed
 * logarithmically read best (loss 2.5 … 10); over several decades, 1-2-5 or powers of ten.
 */
export function logTicks(lo: number, hi: number): { domain: [number, number]; ticks: number[] } {
  if (!(lo > 0) || !(hi > 0)) return { domain: [0.1, 10], ticks: [0.1, 1, 10] }
  if (lo === hi) {
    lo /= 1.5
    hi *= 1.5
  }
  const domain: [number, number] = [lo / 1.05, hi * 1.05]
  if (hi / lo < 20) {
    // More candidates than on a linear axis: the log squeezes the top ones together and may drop the ends.
    const lin = linearTicks(lo, hi, 8).ticks.filter((t) => t > 0 && t >= domain[0] && t <= domain[1])
    if (lin.length >= 2) return { domain, ticks: lin }
  }
  const ticks: number[] = []
  const decades = Math.log10(hi / lo)
  const mults = decades > 4 ? [1] : [1, 2, 5]
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(6))
      if (v >= domain[0] && v <= domain[1]) ticks.push(v)
    }
  }
  return { domain, ticks: ticks.length ? ticks : [lo, hi] }
}

/**
 * At most about 2 × buckets points per series: the first, last, lowest and highest point of each
 * x bucket, in order, so spikes and the envelope of a noisy loss survive the thinning.
 */
export function downsample(points: Pt[], buckets: number): Pt[] {
  if (points.length <= buckets * 2 || points.length < 4) return points
  const x0 = points[0]!.x
  const x1 = points[points.length - 1]!.x
  const width = (x1 - x0) / buckets || 1
  const out: Pt[] = []
  let i = 0
  while (i < points.length) {
    const b = Math.floor((points[i]!.x - x0) / width)
    const first = i
    let min = i
    let max = i
    let last = i
    while (i < points.length && Math.floor((points[i]!.x - x0) / width) === b) {
      if (points[i]!.y < points[min]!.y) min = i
      if (points[i]!.y > points[max]!.y) max = i
      last = i
      i++
    }
    if (i === first) i++ // x not increasing: never loop forever
    for (const k of [...new Set([first, min, max, last])].sort((a, b2) => a - b2)) out.push(points[k]!)
  }
  return out
}

/** Index of the point whose x is nearest to x, in points sorted by x; -1 when empty. */
export function nearest(points: Pt[], x: number): number {
  if (points.length === 0) return -1
  let lo = 0
  let hi = points.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (points[mid]!.x < x) lo = mid + 1
    else hi = mid
  }
  if (lo > 0 && Math.abs(points[lo - 1]!.x - x) <= Math.abs(points[lo]!.x - x)) return lo - 1
  return lo
}

/** An EMA weight that averages over about 1% of the points (at least 5): as smooth at 10k steps as at 500. */
export function smoothingWeight(n: number): number {
  return Math.min(0.995, 1 - 1 / Math.max(5, n / 100))
}

/** Exponential moving average with bias correction (TensorBoard-style smoothing). */
export function smooth(points: Pt[], weight: number): Pt[] {
  let avg = 0
  let n = 0
  return points.map((p) => {
    if (!Number.isFinite(p.y)) return p
    n++
    avg = avg * weight + (1 - weight) * p.y
    return { x: p.x, y: avg / (1 - weight ** n) }
  })
}

/** Labels for a set of ticks: as many decimals as they need; compact for large, exponent for tiny numbers. */
export function tickFormatter(ticks: number[]): (v: number) => string {
  const max = Math.max(...ticks.map(Math.abs), 0)
  if (max >= 10_000) {
    const fmt = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 })
    return (v) => fmt.format(v)
  }
  if (max > 0 && max < 0.01) return (v) => (v === 0 ? '0' : Number(v.toPrecision(3)).toExponential().replace('e-', 'e−'))
  // As many decimals as the ticks themselves have (0.25 needs two, 3 none), at most six.
  let decimals = 0
  for (const t of ticks) {
    let d = 0
    while (d < 6 && Math.abs(Math.round(t * 10 ** d) / 10 ** d - t) > 1e-9 * Math.max(1, Math.abs(t))) d++
    decimals = Math.max(decimals, d)
  }
  return (v) => v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
}
