import { describe, expect, it } from 'vitest'
import type { JobProgress } from '../../shared/jobs'
import { ProgressMeter } from './progress-meter'

describe('ProgressMeter', () => {
  it('computes a rate and an ETA from done counts over time', () => {
    let t = 0
    const sent: JobProgress[] = []
    const meter = new ProgressMeter((p) => sent.push(p), () => t)
    meter.update({ done: 0, total: 1000, unit: 'files', message: 'start' })
    for (let i = 1; i <= 5; i++) {
      t = i * 1000
      meter.update({ done: i * 100 })
    }
    const last = sent.at(-1)!
    expect(last.unit).toBe('files')
    expect(last.rate).toBeCloseTo(100, 5)
    expect(last.etaSeconds).toBeCloseTo(5, 5)
    expect(last.message).toBe('start')
  })

  it('throttles updates but always sends the final one', () => {
    let t = 0
    const sent: JobProgress[] = []
    const meter = new ProgressMeter((p) => sent.push(p), () => t)
    meter.update({ done: 0, total: 3 })
    t = 10
    meter.update({ done: 1 })
    t = 20
    meter.update({ done: 3 })
    expect(sent.map((p) => p.done)).toEqual([0, 3])
  })
})
