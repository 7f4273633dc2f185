// Half and bfloat16 conversions: exact on known bit patterns, round to nearest even, lossless round trips.
import { describe, expect, it } from 'vitest'
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './float16'
import { Rng } from '../util/prng'

const h = (...xs: number[]) => [...f32ToF16(Float32Array.from(xs))]
const b = (...xs: number[]) => [...f32ToBf16(Float32Array.from(xs))]

describe('float16', () => {
  it('converts known values', () => {
    expect(h(1, -2, 0.5, 0, -0, 65504, Infinity, -Infinity)).toEqual([0x3c00, 0xc000, 0x3800, 0, 0x8000, 0x7bff, 0x7c00, 0xfc00])
    expect(h(2 ** -24, 2 ** -14, 65520, 1e6)).toEqual([0x0001, 0x0400, 0x7c00, 0x7c00]) // subnormal, smallest normal, overflow
    expect(h(2 ** -25, 3 * 2 ** -26, 2 ** -26)).toEqual([0, 1, 0]) // ties to even at the bottom of the range
    expect(h(1 + 2 ** -11, 1 + 3 * 2 ** -11)).toEqual([0x3c00, 0x3c02]) // halfway cases round to the even mantissa
    expect(h(NaN)[0]! & 0x7c00).toBe(0x7c00)
    expect(h(NaN)[0]! & 0x3ff).not.toBe(0)
    expect([...f16ToF32(Uint16Array.of(0x3c00, 0xc000, 0x0001, 0x7bff, 0xfc00, 0x8000))]).toEqual([1, -2, 2 ** -24, 65504, -Infinity, -0])
    expect(Number.isNaN(f16ToF32(Uint16Array.of(0x7e00))[0])).toBe(true)
  })

  it('round-trips every non-NaN half value exactly', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i)
    const back = f32ToF16(f16ToF32(all))
    const wrong = all.filter((i) => ((i & 0x7c00) !== 0x7c00 || (i & 0x3ff) === 0) && back[i] !== i)
    expect(wrong.length).toBe(0)
  })

  it('rounds random floats to the nearest half', () => {
    const rng = new Rng(7)
    const xs = Float32Array.from({ length: 20000 }, () => (rng.next() - 0.5) * 2 ** Math.floor(rng.next() * 40 - 26))
    const ys = f16ToF32(f32ToF16(xs))
    const bits = f32ToF16(xs)
    let worse = 0
    for (let i = 0; i < xs.length; i++) {
      // no neighbour of the chosen half is closer
      const next = f16ToF32(Uint16Array.of(bits[i]! + 1))[0]!
      const prev = bits[i]! & 0x7fff ? f16ToF32(Uint16Array.of(bits[i]! - 1))[0]! : ys[i]!
      const err = Math.abs(ys[i]! - xs[i]!)
      if (err > Math.abs(next - xs[i]!) || err > Math.abs(prev - xs[i]!)) worse++
    }
    expect(worse).toBe(0)
  })
})

describe('bfloat16', () => {
  it('converts known values and rounds to nearest even', () => {
    expect(b(1, -2, 0, Infinity)).toEqual([0x3f80, 0xc000, 0, 0x7f80])
    expect(b(1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20)).toEqual([0x3f80, 0x3f82, 0x3f81])
    expect(b(3.4e38)).toEqual([0x7f80]) // rounds up past the largest bfloat16
    expect(b(NaN)[0]! & 0x7fc0).toBe(0x7fc0)
    expect([...bf16ToF32(Uint16Array.of(0x3f80, 0xc000, 0x0001))]).toEqual([1, -2, 2 ** -133])
  })

  it('round-trips every non-NaN bfloat16 value exactly', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i)
    const back = f32ToBf16(bf16ToF32(all))
    const wrong = all.filter((i) => ((i & 0x7f80) !== 0x7f80 || (i & 0x7f) === 0) && back[i] !== i)
    expect(wrong.length).toBe(0)
  })
})
