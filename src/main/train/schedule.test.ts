import { describe, expect, it } from 'vitest'
import { LrSchedule } from '../../shared/runs'
import { learningRate } from './schedule'

const base = LrSchedule.parse({ lr: 1e-3, minLr: 1e-4, warmupSteps: 10, warmupStartLr: 0 })

describe('learning-rate schedules', () => {
  it('warms up linearly to the peak', () => {
    expect(learningRate(base, 0, 100)).toBeCloseTo(1e-4)
    expect(learningRate(base, 4, 100)).toBeCloseTo(5e-4)
    expect(learningRate(base, 9, 100)).toBeCloseTo(1e-3)
  })

  it('cosine falls from the peak to minLr on the last step', () => {
    expect(learningRate(base, 10, 100)).toBeCloseTo(1e-3)
    expect(learningRate(base, 99, 100)).toBeCloseTo(1e-4)
    const mid = learningRate(base, 10 + 44.5, 100)
    expect(mid).toBeCloseTo(5.5e-4, 5)
    for (let s = 11; s < 100; s++) expect(learningRate(base, s, 100)).toBeLessThanOrEqual(learningRate(base, s - 1, 100) + 1e-12)
  })

  it('WSD holds the peak, then decays over the last share of the steps', () => {
    const wsd = { ...base, kind: 'wsd' as const, decayFraction: 0.2 }
    expect(learningRate(wsd, 50, 110)).toBe(1e-3)
    expect(learningRate(wsd, 89, 110)).toBe(1e-3)
    expect(learningRate(wsd, 109, 110)).toBeCloseTo(1e-4)
  })

  it('constant stays at the peak after warmup (the method: 1e-7 to 1e-5, then constant)', () => {
    const c = { ...base, kind: 'constant' as const, lr: 1e-5, warmupStartLr: 1e-7, warmupSteps: 100 }
    expect(learningRate(c, 0, 1000)).toBeCloseTo(1e-7 + (1e-5 - 1e-7) / 100, 12)
    expect(learningRate(c, 500, 1000)).toBe(1e-5)
  })
})
