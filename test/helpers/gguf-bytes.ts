// Hand-written GGUF files (header and key/values, no tensors) for reader tests; strings may be raw bytes to make invalid UTF-8.
import { GgufType as T } from '../../src/main/weights/gguf-reader'

export type GgufTestValue = number | bigint | boolean | string | Uint8Array | { itemType: number; items: GgufTestValue[] }

/** An array value of strings (or raw byte strings). */
export const ggufStrings = (items: (string | Uint8Array)[]) => ({ itemType: T.STRING, items })

/** The bytes of a GGUF file holding `entries` as [key, value type, value] and no tensors. */
export function ggufBytes(entries: [string, number, GgufTestValue][], version = 3): Buffer {
  const parts: Buffer[] = []
  const u32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(n)
    parts.push(b)
  }
  const u64 = (n: number | bigint) => {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(n))
    parts.push(b)
  }
  const str = (s: string | Uint8Array) => {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s)
    u64(b.length)
    parts.push(b)
  }
  const value = (type: number, v: GgufTestValue) => {
    const b = Buffer.alloc(8)
    if (type === T.STRING) return str(v as string | Uint8Array)
    if (type === T.ARRAY) {
      const { itemType, items } = v as { itemType: number; items: GgufTestValue[] }
      u32(itemType)
      u64(items.length)
      for (const item of items) value(itemType, item)
      return
    }
    const writers: Record<number, () => number> = {
      [T.UINT8]: () => b.writeUInt8(v as number),
      [T.INT8]: () => b.writeInt8(v as number),
      [T.UINT16]: () => b.writeUInt16LE(v as number),
      [T.INT16]: () => b.writeInt16LE(v as number),
      [T.UINT32]: () => b.writeUInt32LE(v as number),
      [T.INT32]: () => b.writeInt32LE(v as number),
      [T.FLOAT32]: () => b.writeFloatLE(v as number),
      [T.BOOL]: () => b.writeUInt8(v ? 1 : 0),
      [T.UINT64]: () => b.writeBigUInt64LE(v as bigint),
      [T.INT64]: () => b.writeBigInt64LE(v as bigint),
      [T.FLOAT64]: () => b.writeDoubleLE(v as number),
    }
    parts.push(b.subarray(0, writers[type]?.() ?? 0))
  }
  parts.push(Buffer.from('GGUF'))
  u32(version)
  u64(0)
  u64(entries.length)
  for (const [key, type, v] of entries) {
    str(key)
    u32(type)
    value(type, v)
  }
  return Buffer.concat(parts)
}
