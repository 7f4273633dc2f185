// A run's metric lines split into chart series, in one pass: training loss, held-out loss, learning rate, throughput.
import type { MetricPoint } from '../../../../shared/runs'
import { type ChartSeries, type Pt, type SeriesColor, smooth, smoothingWeight } from '../../lib/chart-math'
import { compact, int } from './runs-format'

export type XAxis = 'step' | 'tokens'

/** The x-axis props of a run chart (LineChart's xLabel, xName and formatX) for steps or tokens. */
export function xAxisProps(x: XAxis): { xLabel: string; xName: string; formatX: (v: number) => string } {
  return x === 'step' ? { xLabel: 'Optimizer step', xName: 'step', formatX: int } : { xLabel: 'Tokens trained', xName: 'tokens', formatX: compact }
}

export interface RunSeries {
  loss: Pt[]
  evalLoss: Pt[]
  lr: Pt[]
  tokensPerSec: Pt[]
}

export function runSeries(points: MetricPoint[] | undefined, x: XAxis): RunSeries {
  const out: RunSeries = { loss: [], evalLoss: [], lr: [], tokensPerSec: [] }
  for (const p of points ?? []) {
    const at = x === 'step' ? p.step : p.tokens
    if (p.evalLoss !== undefined) out.evalLoss.push({ x: at, y: p.evalLoss })
    if (p.loss !== undefined) out.loss.push({ x: at, y: p.loss })
    if (p.lr !== undefined) out.lr.push({ x: at, y: p.lr })
    if (p.tokensPerSec !== undefined) out.tokensPerSec.push({ x: at, y: p.tokensPerSec })
  }
  return out
}

/**
 * A run's loss as chart lines: training loss (smoothed over the pale raw curve once it has more than ten
 * points, when smoothing is on) and held-out loss with a dot per evaluation.
 */
export function lossLines(
  s: RunSeries,
  o: { id: string; training: string; heldOut: string; color: SeriesColor; heldOutColor: SeriesColor; smoothing: boolean; dashedHeldOut?: boolean },
): ChartSeries[] {
  const smoothed = o.smoothing && s.loss.length > 10
  return [
    ...(smoothed ? [{ id: `${o.id}-raw`, label: `${o.training} (raw)`, points: s.loss, color: o.color, faint: true }] : []),
    { id: `${o.id}-loss`, label: smoothed ? `${o.training} (smoothed)` : o.training, points: smoothed ? smooth(s.loss, smoothingWeight(s.loss.length)) : s.loss, color: o.color },
    { id: `${o.id}-eval`, label: o.heldOut, points: s.evalLoss, color: o.heldOutColor, dashed: o.dashedHeldOut, markers: true },
  ]
}

/** The median of the last n values: a throughput figure that one slow step (an evaluation, a checkpoint) does not swing. */
export function recentMedian(points: Pt[], n = 20): number | null {
  const ys = points.slice(-n).map((p) => p.y).filter(Number.isFinite).sort((a, b) => a - b)
  if (ys.length === 0) return null
  const mid = ys.length >> 1
  return ys.length % 2 ? ys[mid]! : (ys[mid - 1]! + ys[mid]!) / 2
}
