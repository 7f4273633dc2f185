// safetensors files and Hugging Face checkpoints (config.json + model.safetensors, or shards + index).
// Files are read tensor by tensor through a file handle, so a multi-GB checkpoint never sits in one Buffer.
// Format: u64 LE header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__},
// then the data; offsets are relative to the end of the header.
import { promises as fs } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { AppError } from '../../shared/errors'
import { FLOAT_DTYPE_SIZE, assertLittleEndianHost, decodeFloats, encodeFloats, type FloatDtype } from './float16'
import { PendingFile, openForReading, readExactly } from './file-io'
import { inConfigOrder, missingTensors, readHfConfig, tensorShapes, tensorsForConfig, toHfConfig, type LlamaConfig, type TorchDtype } from './llama-config'
import { checkNamedTensor, elementCount, formatShape, sameShape, type NamedTensor, type NamedTensors } from './named-tensors'

export type SafetensorsDtype = FloatDtype
const READABLE: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 }
/** Element sizes of the other safetensors dtypes, to check offsets and name them in refusals. */
const OTHER_DTYPES: Record<string, number> = { BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1, I16: 2, U16: 2, I32: 4, U32: 4, I64: 8, U64: 8, C64: 8 }
const MAX_HEADER = 100_000_000 // the reference implementation's limit

export const SINGLE_FILE = 'model.safetensors'
export const INDEX_FILE = 'model.safetensors.index.json'
export const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000 // transformers' default "5GB"

export interface SafetensorsEntry {
  name: string
  dtype: string
  shape: number[]
  /** Absolute byte range in the file. */
  begin: number
  end: number
}

export interface SafetensorsHeader {
  file: string
  entries: Map<string, SafetensorsEntry>
  metadata: Record<string, string>
}

const label = (file: string) => path.basename(file)

function invalid(file: string, msg: string): AppError {
  return new AppError('invalid_input', `${label(file)}: ${msg}`)
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

async function parseHeader(handle: FileHandle, file: string): Promise<SafetensorsHeader> {
  const size = (await handle.stat()).size
  if (size < 8) throw invalid(file, `not a safetensors file (only ${size} bytes, the header length alone takes 8)`)
  const lenBytes = await readExactly(handle, 8, 0, label(file))
  const n = Number(new DataView(lenBytes.buffer).getBigUint64(0, true))
  if (n > size - 8) throw invalid(file, `the header length ${n} goes beyond the end of the file (${size} bytes): truncated or not a safetensors file`)
  if (n > MAX_HEADER) throw invalid(file, `the header length ${n} is over the ${MAX_HEADER}-byte limit`)
  const headerBytes = await readExactly(handle, n, 8, label(file))
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes))
  } catch (err) {
    throw invalid(file, `the header is not valid UTF-8 JSON (${(err as Error).message}); not a safetensors file?`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid(file, 'the header is not a JSON object')
  const dataStart = 8 + n
  const dataSize = size - dataStart
  const entries = new Map<string, SafetensorsEntry>()
  let metadata: Record<string, string> = {}
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
        throw invalid(file, '__metadata__ must be an object of strings')
      }
      metadata = value as Record<string, string>
      continue
    }
    const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null
    const what = `tensor ${name}`
    if (typeof e !== 'object' || e === null) throw invalid(file, `${what} has no description`)
    if (typeof e.dtype !== 'string') throw invalid(file, `${what} has no dtype`)
    if (!Array.isArray(e.shape) || !e.shape.every(isUint)) throw invalid(file, `${what} has an invalid shape ${JSON.stringify(e.shape)}`)
    const off = e.data_offsets
    if (!Array.isArray(off) || off.length !== 2 || !isUint(off[0]) || !isUint(off[1]) || off[1] < off[0]) {
      throw invalid(file, `${what} has invalid data_offsets ${JSON.stringify(off)}`)
    }
    const [begin, end] = off as [number, number]
    const shape = e.shape as number[]
    const itemSize = READABLE[e.dtype] ?? OTHER_DTYPES[e.dtype]
    if (itemSize !== undefined && end - begin !== elementCount(shape) * itemSize) {
      throw invalid(file, `${what} (${e.dtype} ${formatShape(shape)}) should take ${elementCount(shape) * itemSize} bytes but its data_offsets span ${end - begin}`)
    }
    if (end > dataSize) {
      throw invalid(file, `${what} ends at data byte ${end} but the file holds only ${dataSize} data bytes: the file is truncated`)
    }
    entries.set(name, { name, dtype: e.dtype, shape, begin: dataStart + begin, end: dataStart + end })
  }
  return { file, entries, metadata }
}

export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  const handle = await openForReading(file)
  try {
    return await parseHeader(handle, file)
  } finally {
    await handle.close()
  }
}

function unsupportedDtype(file: string, e: SafetensorsEntry): AppError {
  const hint = e.dtype in OTHER_DTYPES ? ' (integer or 8-bit data: quantized checkpoints are not supported)' : ''
  return new AppError('unsupported', `${label(file)}: tensor ${e.name} has dtype ${e.dtype}${hint}; only F32, F16, BF16 and F64 can be read`)
}

async function readEntry(handle: FileHandle, file: string, e: SafetensorsEntry): Promise<NamedTensor> {
  if (!(e.dtype in READABLE)) throw unsupportedDtype(file, e)
  const bytes = await readExactly(handle, e.end - e.begin, e.begin, `${label(file)}: tensor ${e.name}`)
  const n = elementCount(e.shape)
  const data = e.dtype === 'F64' ? Float32Array.from(new Float64Array(bytes.buffer, 0, n)) : decodeFloats(bytes, e.dtype as FloatDtype, n)
  return { shape: [...e.shape], data }
}

/** Reads a safetensors file (all tensors, or those named), converting F16/BF16/F64 to float32. */
export async function readSafetensors(file: string, opts: { names?: Iterable<string> } = {}): Promise<{ tensors: NamedTensors; metadata: Record<string, string> }> {
  assertLittleEndianHost()
  const handle = await openForReading(file)
  try {
    const header = await parseHeader(handle, file)
    const wanted = opts.names ? [...opts.names] : [...header.entries.keys()]
    const tensors: NamedTensors = new Map()
    for (const name of wanted) {
      const e = header.entries.get(name)
      if (!e) throw invalid(file, `has no tensor ${name}`)
      tensors.set(name, await readEntry(handle, file, e))
    }
    return { tensors, metadata: header.metadata }
  } finally {
    await handle.close()
  }
}

/** The header bytes (length prefix included), padded with spaces to a multiple of 8 as Hugging Face does. */
function headerBytes(entries: [string, NamedTensor][], dtype: SafetensorsDtype, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata }
  let offset = 0
  for (const [name, t] of entries) {
    const size = t.data.length * FLOAT_DTYPE_SIZE[dtype]
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] }
    offset += size
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const padded = Math.ceil(json.length / 8) * 8
  const out = new Uint8Array(8 + padded).fill(0x20)
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true)
  out.set(json, 8)
  return out
}

async function writeSafetensorsTo(out: PendingFile, entries: [string, NamedTensor][], dtype: SafetensorsDtype, metadata: Record<string, string>): Promise<void> {
  await out.write(headerBytes(entries, dtype, metadata))
  for (const [, t] of entries) await out.write(encodeFloats(t.data, dtype))
}

/**
 * Writes a safetensors file atomically (temporary file, then rename). Tensors keep their order;
 * `__metadata__` is `{format: 'pt'}` plus what is given.
 */
export async function writeSafetensors(
  file: string,
  tensors: NamedTensors | Iterable<[string, NamedTensor]>,
  opts: { dtype?: SafetensorsDtype; metadata?: Record<string, string> } = {},
): Promise<void> {
  assertLittleEndianHost()
  const entries = [...tensors]
  for (const [name, t] of entries) checkNamedTensor(name, t)
  const out = await PendingFile.create(file)
  try {
    await writeSafetensorsTo(out, entries, opts.dtype ?? 'F32', { format: 'pt', ...opts.metadata })
    await out.publish()
  } catch (err) {
    await out.abort()
    throw err
  }
}

// ---------------------------------------------------------------- Hugging Face checkpoints

export interface SafetensorsIndex {
  metadata: { total_size: number } & Record<string, unknown>
  weight_map: Record<string, string>
}

export function shardFileName(i: number, count: number): string {
  return `model-${String(i + 1).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.safetensors`
}

/** Splits tensors, in order, into shards of at most `maxShardBytes` (a larger tensor gets a shard of its own). */
export function planShards(sizes: [string, number][], maxShardBytes: number): string[][] {
  const shards: string[][] = []
  let current: string[] = []
  let bytes = 0
  for (const [name, size] of sizes) {
    if (current.length > 0 && bytes + size > maxShardBytes) {
      shards.push(current)
      current = []
      bytes = 0
    }
    current.push(name)
    bytes += size
  }
  if (current.length > 0) shards.push(current)
  return shards
}

async function readJson(file: string): Promise<unknown> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('not_found', `${file} does not exist`)
    throw err
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new AppError('invalid_input', `${path.basename(file)} is not valid JSON: ${(err as Error).message}`)
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  )
}

/** Reads model.safetensors.index.json, refusing file names that would leave the folder. */
export async function readSafetensorsIndex(dir: string): Promise<SafetensorsIndex> {
  const json = await readJson(path.join(dir, INDEX_FILE))
  const bad = (msg: string) => new AppError('invalid_input', `${INDEX_FILE}: ${msg}`)
  if (typeof json !== 'object' || json === null) throw bad('expected a JSON object')
  const map = (json as { weight_map?: unknown }).weight_map
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw bad('weight_map is missing or not an object')
  for (const [name, file] of Object.entries(map)) {
    if (typeof file !== 'string' || file === '' || file !== path.basename(file) || file.includes('\\') || file === '.' || file === '..') {
      throw bad(`tensor ${name} maps to ${JSON.stringify(file)}, which is not a file name in the checkpoint folder`)
    }
  }
  const metadata = (json as { metadata?: unknown }).metadata
  return {
    metadata: (typeof metadata === 'object' && metadata !== null ? metadata : { total_size: 0 }) as SafetensorsIndex['metadata'],
    weight_map: map as Record<string, string>,
  }
}

const IGNORED_TENSOR = /\.rotary_emb\.inv_freq$/ // saved by old transformers versions; recomputed from rope_theta

/**
 * Loads a Hugging Face Llama checkpoint folder: config.json plus model.safetensors or sharded safetensors with
 * an index. Every tensor is checked against the config before any data is read. Tied checkpoints get
 * `lm_head.weight` as a copy of the embeddings.
 */
export async function loadHfCheckpoint(dir: string): Promise<{ config: LlamaConfig; tensors: NamedTensors }> {
  assertLittleEndianHost()
  const config = readHfConfig(await readJson(path.join(dir, 'config.json')))
  const expected = tensorShapes(config)

  // Which file holds which tensor.
  let files: string[]
  let weightMap: Map<string, string> | undefined
  if (await exists(path.join(dir, SINGLE_FILE))) {
    files = [SINGLE_FILE]
  } else if (await exists(path.join(dir, INDEX_FILE))) {
    const index = await readSafetensorsIndex(dir)
    weightMap = new Map(Object.entries(index.weight_map))
    files = [...new Set(weightMap.values())]
  } else if ((await exists(path.join(dir, 'pytorch_model.bin'))) || (await exists(path.join(dir, 'pytorch_model.bin.index.json')))) {
    throw new AppError('unsupported', `${dir} holds a PyTorch pickle checkpoint (pytorch_model.bin); only safetensors checkpoints can be read. Convert it with transformers' save_pretrained(safe_serialization=True).`)
  } else {
    throw new AppError('not_found', `${dir} has neither ${SINGLE_FILE} nor ${INDEX_FILE}`)
  }

  // Check every header against the config before reading any data.
  const plan: { file: string; entries: SafetensorsEntry[] }[] = []
  const found = new Set<string>()
  for (const file of files) {
    const header = await readSafetensorsHeader(path.join(dir, file))
    const entries: SafetensorsEntry[] = []
    for (const e of header.entries.values()) {
      if (IGNORED_TENSOR.test(e.name)) continue
      if (weightMap && weightMap.get(e.name) !== file) continue // the index names another file for it
      const shape = expected.get(e.name)
      if (!shape) throw new AppError('invalid_input', `${file}: unexpected tensor ${e.name} (not part of a Llama model with this config.json)`)
      if (!sameShape(shape, e.shape)) {
        throw new AppError('invalid_input', `${file}: tensor ${e.name} has shape ${formatShape(e.shape)}, config.json says ${formatShape(shape)}`)
      }
      if (!(e.dtype in READABLE)) throw unsupportedDtype(file, e)
      if (found.has(e.name)) throw new AppError('invalid_input', `${file}: tensor ${e.name} appears in more than one file`)
      found.add(e.name)
      entries.push(e)
    }
    plan.push({ file, entries })
  }
  if (weightMap) {
    for (const [name, file] of weightMap) {
      if (!found.has(name) && !IGNORED_TENSOR.test(name)) throw new AppError('invalid_input', `${INDEX_FILE} puts tensor ${name} in ${file}, which does not hold it`)
    }
  }
  const missing = missingTensors(config, found)
  if (missing.length > 0) {
    const list = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '')
    throw new AppError('invalid_input', `${dir}: the checkpoint lacks ${missing.length} tensor(s) config.json needs: ${list}`)
  }

  // Read, in config order.
  const loaded = new Map<string, NamedTensor>()
  for (const { file, entries } of plan) {
    const handle = await openForReading(path.join(dir, file))
    try {
      for (const e of entries) loaded.set(e.name, await readEntry(handle, path.join(dir, file), e))
    } finally {
      await handle.close()
    }
  }
  return { config, tensors: inConfigOrder(config, loaded) }
}

const TORCH_DTYPE: Record<SafetensorsDtype, TorchDtype> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' }
const CHECKPOINT_FILE = /^model(-\d{5}-of-\d{5})?\.safetensors$/

/**
 * Saves a Hugging Face checkpoint: config.json and model.safetensors, or shards plus
 * model.safetensors.index.json when the weights exceed `maxShardBytes`. Every file is written under a
 * temporary name first; renames happen once all are on disk (config.json last), and weight files of an
 * earlier save that the new one does not use are removed.
 */
export async function saveHfCheckpoint(
  dir: string,
  config: LlamaConfig,
  tensors: NamedTensors,
  opts: { maxShardBytes?: number; dtype?: SafetensorsDtype } = {},
): Promise<{ files: string[] }> {
  assertLittleEndianHost()
  const dtype = opts.dtype ?? 'F32'
  const maxShardBytes = opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES
  if (!(maxShardBytes > 0)) throw new AppError('invalid_input', `maxShardBytes must be positive, got ${maxShardBytes}`)
  const entries = tensorsForConfig(config, tensors)
  const byName = new Map(entries)
  const sizes = entries.map(([n, t]): [string, number] => [n, t.data.length * FLOAT_DTYPE_SIZE[dtype]])
  const shards = planShards(sizes, maxShardBytes)
  const names = shards.length === 1 ? [SINGLE_FILE] : shards.map((_, i) => shardFileName(i, shards.length))
  await fs.mkdir(dir, { recursive: true })

  const pending: PendingFile[] = []
  try {
    for (let i = 0; i < shards.length; i++) {
      const f = await PendingFile.create(path.join(dir, names[i]!))
      pending.push(f)
      await writeSafetensorsTo(f, shards[i]!.map((n) => [n, byName.get(n)!]), dtype, { format: 'pt' })
      await f.finish()
    }
    if (shards.length > 1) {
      const weightMap: Record<string, string> = {}
      const sorted = shards.flatMap((s, i) => s.map((n) => [n, names[i]!] as const)).sort((a, b) => (a[0] < b[0] ? -1 : 1))
      for (const [n, f] of sorted) weightMap[n] = f
      const index = { metadata: { total_size: sizes.reduce((a, [, s]) => a + s, 0) }, weight_map: weightMap }
      const f = await PendingFile.create(path.join(dir, INDEX_FILE))
      pending.push(f)
      await f.write(Buffer.from(JSON.stringify(index, null, 2) + '\n'))
    }
    const cfg = await PendingFile.create(path.join(dir, 'config.json'))
    pending.push(cfg)
    await cfg.write(Buffer.from(JSON.stringify(toHfConfig(config, { torchDtype: TORCH_DTYPE[dtype] }), null, 2) + '\n'))
    for (const f of pending) await f.publish()
  } catch (err) {
    for (const f of pending) await f.abort()
    throw err
  }

  const keep = new Set([...names, ...(shards.length > 1 ? [INDEX_FILE] : [])])
  for (const name of await fs.readdir(dir)) {
    if ((CHECKPOINT_FILE.test(name) || name === INDEX_FILE) && !keep.has(name)) await fs.rm(path.join(dir, name), { force: true })
  }
  return { files: [...keep, 'config.json'] }
}
