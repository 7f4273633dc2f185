// Reads a GGUF file's header (v2/v3): key/value metadata and tensor infos, streaming, without touching tensor data.
import { promises as fs } from 'node:fs'
import { AppError } from '../../shared/errors'
import { openForReading } from './file-io'

/** GGUF value type codes (gguf.md: GGUF_TYPE_*). */
export const GgufType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const

export type GgufNumberArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array
export type GgufArray = GgufNumberArray | readonly boolean[] | readonly string[] | readonly GgufArray[]
/** 64-bit integers are bigints; every other number is a number. */
export type GgufValue = number | bigint | boolean | string | GgufArray

/** What the typed getters below need: the file (for messages) and its key/value pairs. */
export interface GgufMetadata {
  readonly file: string
  readonly kv: ReadonlyMap<string, GgufValue>
}

export interface GgufTensorInfo {
  readonly name: string
  /** Dimensions as GGUF lists them: fastest-varying first (the reverse of a row-major shape). */
  readonly dims: readonly number[]
  /** ggml type code (`ggml_type`). */
  readonly type: number
  readonly typeName: string
  /** Absolute position of the data in the file. */
  readonly offset: number
}

export interface GgufHeader extends GgufMetadata {
  readonly version: number
  readonly tensors: readonly GgufTensorInfo[]
  readonly alignment: number
  /** Where the tensor data starts: after the tensor infos, padded to the alignment. */
  readonly dataStart: number
  readonly fileSize: number
}

export const GGUF_MAGIC = 0x46554747 // "GGUF" little-endian
/** general.alignment when a file does not set it. */
const DEFAULT_ALIGNMENT = 32
/** GGML_MAX_DIMS */
const MAX_DIMS = 4

/** ggml type names by code (ggml.h: enum ggml_type). */
const GGML_TYPE_NAMES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K', 12: 'Q4_K',
  13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S',
  22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M', 30: 'BF16', 31: 'Q4_0_4_4',
  32: 'Q4_0_4_8', 33: 'Q4_0_8_8', 34: 'TQ1_0', 35: 'TQ2_0', 36: 'IQ4_NL_4_4', 37: 'IQ4_NL_4_8', 38: 'IQ4_NL_8_8', 39: 'MXFP4',
}
const CHUNK = 1 << 20
const MAX_KEY_BYTES = 65535
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Fixed element sizes of the scalar types (strings and arrays have none). */
const SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 }

class Damaged extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message)
  }
}

/** Buffered little-endian reader over a file handle; `need` reads ahead only when the buffer runs short. */
class Reader {
  private buf = Buffer.alloc(0)
  private off = 0
  private base = 0

  constructor(
    private readonly fh: fs.FileHandle,
    readonly size: number,
  ) {}

  get pos(): number {
    return this.base + this.off
  }

  get left(): number {
    return this.size - this.pos
  }

  async need(n: number, what: string): Promise<void> {
    if (this.off + n <= this.buf.length) return
    if (n > this.left) throw new Damaged(`${what} needs ${n} bytes but the file ends ${this.left} bytes later`, this.pos)
    const want = Math.max(n, CHUNK) - (this.buf.length - this.off)
    const more = Buffer.alloc(Math.min(want, this.size - this.base - this.buf.length))
    const { bytesRead } = await this.fh.read(more, 0, more.length, this.base + this.buf.length)
    if (bytesRead < more.length) throw new Damaged(`the file shrank while it was read`, this.pos)
    this.base += this.off
    this.buf = Buffer.concat([this.buf.subarray(this.off), more])
    this.off = 0
  }

  u8(): number {
    return this.buf[this.off++] as number
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.off)
    this.off += 4
    return v
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64LE(this.off)
    this.off += 8
    return v
  }
  bytes(n: number): Buffer {
    const b = this.buf.subarray(this.off, this.off + n)
    this.off += n
    return b
  }

  /** A u64 count or length that must fit in what is left of the file (each unit at least `unit` bytes). */
  async length(what: string, unit: number): Promise<number> {
    await this.need(8, what)
    const at = this.pos
    const n = this.u64()
    if (n * BigInt(unit) > BigInt(this.left)) {
      throw new Damaged(`${what} is ${n}, more than the ${this.left} bytes left in the file`, at)
    }
    return Number(n)
  }

  /** A u64 that must be a safe integer (dimensions, offsets). */
  async u64Number(what: string): Promise<number> {
    await this.need(8, what)
    const at = this.pos
    const n = this.u64()
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Damaged(`${what} is ${n}, far too large`, at)
    return Number(n)
  }

  async string(what: string): Promise<string> {
    return this.utf8(await this.length(`the length of ${what}`, 1), what)
  }

  async utf8(n: number, what: string): Promise<string> {
    await this.need(n, what)
    const at = this.pos
    try {
      return utf8.decode(this.bytes(n))
    } catch {
      throw new Damaged(`${what} is not valid UTF-8`, at)
    }
  }

  scalar(type: number): number | bigint | boolean {
    const b = this.buf
    const o = this.off
    this.off += SIZE[type] as number
    switch (type) {
      case GgufType.UINT8:
        return b.readUInt8(o)
      case GgufType.INT8:
        return b.readInt8(o)
      case GgufType.UINT16:
        return b.readUInt16LE(o)
      case GgufType.INT16:
        return b.readInt16LE(o)
      case GgufType.UINT32:
        return b.readUInt32LE(o)
      case GgufType.INT32:
        return b.readInt32LE(o)
      case GgufType.FLOAT32:
        return b.readFloatLE(o)
      case GgufType.BOOL:
        return b.readUInt8(o) !== 0
      case GgufType.UINT64:
        return b.readBigUInt64LE(o)
      case GgufType.INT64:
        return b.readBigInt64LE(o)
      default:
        return b.readDoubleLE(o)
    }
  }
}

function numberArray(type: number, n: number): GgufNumberArray {
  switch (type) {
    case GgufType.UINT8:
      return new Uint8Array(n)
    case GgufType.INT8:
      return new Int8Array(n)
    case GgufType.UINT16:
      return new Uint16Array(n)
    case GgufType.INT16:
      return new Int16Array(n)
    case GgufType.UINT32:
      return new Uint32Array(n)
    case GgufType.INT32:
      return new Int32Array(n)
    case GgufType.FLOAT32:
      return new Float32Array(n)
    case GgufType.UINT64:
      return new BigUint64Array(n)
    case GgufType.INT64:
      return new BigInt64Array(n)
    default:
      return new Float64Array(n)
  }
}

async function readValue(r: Reader, type: number, what: string): Promise<GgufValue> {
  if (type === GgufType.STRING) return r.string(what)
  if (type === GgufType.ARRAY) {
    await r.need(4, what)
    const at = r.pos
    const itemType = r.u32()
    if (itemType > GgufType.FLOAT64) throw new Damaged(`${what} has an unknown item type ${itemType}`, at)
    const n = await r.length(`the item count of ${what}`, SIZE[itemType] ?? 8)
    if (itemType === GgufType.STRING || itemType === GgufType.ARRAY) {
      const items: GgufValue[] = []
      for (let i = 0; i < n; i++) items.push(await readValue(r, itemType, `item ${i} of ${what}`))
      return items as readonly string[] | readonly GgufArray[]
    }
    const size = SIZE[itemType] as number
    await r.need(n * size, what)
    if (itemType === GgufType.BOOL) return Array.from({ length: n }, () => r.scalar(itemType) as boolean)
    const out = numberArray(itemType, n)
    if (out instanceof BigUint64Array || out instanceof BigInt64Array) {
      for (let i = 0; i < n; i++) out[i] = r.scalar(itemType) as bigint
    } else {
      for (let i = 0; i < n; i++) out[i] = r.scalar(itemType) as number
    }
    return out
  }
  const size = SIZE[type]
  if (size === undefined) throw new Damaged(`${what} has an unknown value type ${type}`, r.pos - 4)
  await r.need(size, what)
  return r.scalar(type)
}

/** Counts EF BF BD (U+FFFD) sequences: many of them in a binary file mean it went through a text conversion. */
async function replacementCount(fh: fs.FileHandle, size: number): Promise<number> {
  const buf = Buffer.alloc(Math.min(size, 16 << 20))
  await fh.read(buf, 0, buf.length, 0)
  let count = 0
  for (let i = buf.indexOf(0xef); i >= 0 && i + 2 < buf.length; i = buf.indexOf(0xef, i + 1)) {
    if (buf[i + 1] === 0xbf && buf[i + 2] === 0xbd) count++
  }
  return count
}

async function readKeyValues(r: Reader): Promise<Map<string, GgufValue>> {
  const kvCount = await r.length('the key/value count', 13)
  const kv = new Map<string, GgufValue>()
  for (let i = 0; i < kvCount; i++) {
    await r.need(8, `the length of key #${i}`)
    const at = r.pos
    const keyLength = r.u64()
    if (keyLength > BigInt(MAX_KEY_BYTES)) throw new Damaged(`key #${i} claims a length of ${keyLength} bytes (keys have at most ${MAX_KEY_BYTES})`, at)
    const key = await r.utf8(Number(keyLength), `key #${i}`)
    if (kv.has(key)) throw new Damaged(`key "${key}" appears twice`, at)
    await r.need(4, `the type of "${key}"`)
    kv.set(key, await readValue(r, r.u32(), `"${key}"`))
  }
  return kv
}

/** Tensor infos with relative offsets (each a multiple of `alignment`). */
async function readTensorInfos(r: Reader, count: number, alignment: number): Promise<GgufTensorInfo[]> {
  const tensors: GgufTensorInfo[] = []
  for (let i = 0; i < count; i++) {
    const name = await r.string(`the name of tensor #${i}`)
    await r.need(4, `the dimension count of tensor "${name}"`)
    const at = r.pos
    const nDims = r.u32()
    if (nDims > MAX_DIMS) throw new Damaged(`tensor "${name}" has ${nDims} dimensions (at most ${MAX_DIMS})`, at)
    const dims: number[] = []
    for (let d = 0; d < nDims; d++) dims.push(await r.u64Number(`dimension ${d} of tensor "${name}"`))
    await r.need(4, `the type of tensor "${name}"`)
    const type = r.u32()
    const offsetAt = r.pos
    const offset = await r.u64Number(`the offset of tensor "${name}"`)
    if (offset % alignment !== 0) throw new Damaged(`tensor "${name}" is at offset ${offset}, not a multiple of the alignment ${alignment}`, offsetAt)
    tensors.push({ name, dims, type, typeName: GGML_TYPE_NAMES[type] ?? `type ${type}`, offset })
  }
  return tensors
}

/**
 * Reads a GGUF file's header: metadata and tensor infos (tensor offsets made absolute). A damaged file gets an
 * `invalid_input` error naming the file, the byte and the problem, and a hint when it went through a text conversion.
 */
export async function readGgufHeader(file: string): Promise<GgufHeader> {
  const fh = await openForReading(file)
  try {
    const { size } = await fh.stat()
    const r = new Reader(fh, size)
    try {
      await r.need(4, 'the magic number')
      if (r.u32() !== GGUF_MAGIC) throw new AppError('invalid_input', `${file} is not a GGUF file: it does not start with "GGUF".`)
      await r.need(4, 'the version')
      const version = r.u32()
      if (version !== 2 && version !== 3) {
        throw new AppError('unsupported', `${file} is GGUF version ${version}; only versions 2 and 3 can be read. Convert it again with a recent llama.cpp.`)
      }
      const tensorCount = await r.length('the tensor count', 1)
      const kv = await readKeyValues(r)
      const alignment = ggufInteger({ file, kv }, 'general.alignment') ?? DEFAULT_ALIGNMENT
      if (!(alignment > 0 && (alignment & (alignment - 1)) === 0)) throw new AppError('invalid_input', `${file}: metadata key "general.alignment" is ${alignment}, not a power of two. The GGUF file is damaged.`)
      const infos = await readTensorInfos(r, tensorCount, alignment)
      const dataStart = Math.ceil(r.pos / alignment) * alignment
      const tensors = infos.map((t) => ({ ...t, offset: t.offset + dataStart }))
      return { file, version, kv, tensors, alignment, dataStart, fileSize: size }
    } catch (err) {
      if (!(err instanceof Damaged)) throw err
      const fffd = await replacementCount(fh, size)
      const hint =
        fffd >= 16
          ? ` The file contains ${fffd} U+FFFD replacement sequences (EF BF BD): it was probably saved through a text conversion that replaced its non-UTF-8 bytes. Download it again as a binary file.`
          : ' The file is truncated or damaged: download or convert it again.'
      throw new AppError('invalid_input', `${file} is a damaged GGUF file: ${err.message} (at byte ${err.offset}).${hint}`)
    }
  } finally {
    await fh.close()
  }
}

function wrongType(meta: GgufMetadata, key: string, expected: string): AppError {
  return new AppError('invalid_input', `${meta.file}: metadata key "${key}" should be ${expected}. The file is damaged or was written by an incompatible converter.`)
}

/** A string value, or undefined when the key is absent. */
export function ggufString(meta: GgufMetadata, key: string): string | undefined {
  const v = meta.kv.get(key)
  if (v === undefined || typeof v === 'string') return v
  throw wrongType(meta, key, 'a string')
}

/** A number of any type (64-bit integers within the safe range), or undefined when the key is absent. */
export function ggufNumber(meta: GgufMetadata, key: string): number | undefined {
  const v = meta.kv.get(key)
  if (v === undefined || typeof v === 'number') return v
  if (typeof v === 'bigint' && Number.isSafeInteger(Number(v))) return Number(v)
  throw wrongType(meta, key, 'a number')
}

/** An integer value of any width, or undefined when the key is absent. */
export function ggufInteger(meta: GgufMetadata, key: string): number | undefined {
  const v = meta.kv.get(key)
  if (v === undefined) return undefined
  const n = typeof v === 'bigint' ? Number(v) : v
  if (typeof n === 'number' && Number.isSafeInteger(n)) return n
  throw wrongType(meta, key, 'an integer')
}

export function ggufBoolean(meta: GgufMetadata, key: string): boolean | undefined {
  const v = meta.kv.get(key)
  if (v === undefined || typeof v === 'boolean') return v
  throw wrongType(meta, key, 'a boolean')
}

export function ggufStringArray(meta: GgufMetadata, key: string): readonly string[] | undefined {
  const v = meta.kv.get(key)
  if (v === undefined) return undefined
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as readonly string[]
  throw wrongType(meta, key, 'an array of strings')
}

/** A numeric array (any element type but 64-bit integers), or undefined when the key is absent. */
export function ggufNumberArray(meta: GgufMetadata, key: string): ArrayLike<number> | undefined {
  const v = meta.kv.get(key)
  if (v === undefined) return undefined
  if (ArrayBuffer.isView(v) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array)) return v
  throw wrongType(meta, key, 'an array of numbers')
}
