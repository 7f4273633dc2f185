// IEEE half (F16) and bfloat16 (BF16) conversions to and from float32, rounding to nearest even.
// Arrays are little-endian in every file format we read; typed arrays use the host order, so big-endian hosts are refused.
import os from 'node:os'
import { AppError } from '../../shared/errors'

export function assertLittleEndianHost(): void {
  if (os.endianness() !== 'LE') throw new AppError('unsupported', 'Model weight files can only be read and written on little-endian machines')
}

let f16Table: Float32Array | undefined

/** float32 value of each of the 65536 half-precision bit patterns. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table
  const table = new Float32Array(65536)
  const bits = new Uint32Array(table.buffer)
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16
    const exp = (h >>> 10) & 0x1f
    const mant = h & 0x3ff
    if (exp === 0) {
      table[h] = (sign ? -1 : 1) * mant * 2 ** -24 // zero or subnormal
    } else if (exp === 0x1f) {
      bits[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0 // infinity or NaN (payload kept)
    } else {
      bits[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0
    }
  }
  f16Table = table
  return table
}

export function f16ToF32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  const table = halfTable()
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]!]!
  return dst
}

/** Half-precision bits of one float32 bit pattern, rounding to nearest even; overflow gives infinity. */
function halfBits(b: number): number {
  const sign = (b >>> 16) & 0x8000
  const exp = (b >>> 23) & 0xff
  let mant = b & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0)
  const e = exp - 112 // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign // below half the smallest subnormal: zero
    mant |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    const rem = mant & ((1 << shift) - 1)
    let m = mant >>> shift
    if (rem > half || (rem === half && m & 1)) m++ // may carry into the smallest normal, which is right
    return sign | m
  }
  let h = sign | (e << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++ // may carry into the exponent (up to infinity), which is right
  return h
}

export function f32ToF16(src: Float32Array, dst = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length)
  for (let i = 0; i < bits.length; i++) dst[i] = halfBits(bits[i]!)
  return dst
}

export function bf16ToF32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, dst.length)
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16
  return dst
}

export function f32ToBf16(src: Float32Array, dst = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length)
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i]!
    if ((b & 0x7fffffff) > 0x7f800000) dst[i] = (b >>> 16) | 0x40 // NaN stays a quiet NaN
    else dst[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16
  }
  return dst
}

/** The float element types our weight files store (safetensors and GGUF names agree). */
export type FloatDtype = 'F32' | 'F16' | 'BF16'

export const FLOAT_DTYPE_SIZE: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2 }

/** Little-endian bytes of `data` in `dtype`; F32 is a view of `data`, no copy. */
export function encodeFloats(data: Float32Array, dtype: FloatDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const half = dtype === 'F16' ? f32ToF16(data) : f32ToBf16(data)
  return new Uint8Array(half.buffer, half.byteOffset, half.byteLength)
}

/** float32 values of `n` elements of `dtype` at the start of `bytes` (a buffer starting at offset 0, as `readExactly` gives). */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype, n: number): Float32Array {
  if (dtype === 'F32') return new Float32Array(bytes.buffer, 0, n)
  const half = new Uint16Array(bytes.buffer, 0, n)
  return dtype === 'F16' ? f16ToF32(half) : bf16ToF32(half)
}
