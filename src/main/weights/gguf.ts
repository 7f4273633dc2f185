// GGUF v3 (llama.cpp's format) for Llama models: a writer that llama.cpp loads, and a reader for F32/F16/BF16 files.
// Layout: "GGUF", u32 version, u64 tensor count, u64 metadata count, metadata (key, u32 type, value),
// tensor infos (name, u32 n_dims, u64 dims fastest-first, u32 ggml type, u64 offset), padding to
// general.alignment, then the tensor data, each tensor aligned. All little-endian.
// llama.cpp names tensors differently from Hugging Face and stores q/k rows in the interleaved RoPE order:
// the converter (convert_hf_to_gguf.py, `permute`) reorders each head's rows from rotate-half [x0..x(d/2-1), y0..]
// to pairs [x0, y0, x1, y1, ...]. We do the same on write and undo it on read.
import { promises as fs } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { AppError } from '../../shared/errors'
import { assertLittleEndianHost, bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './float16'
import { PendingFile, readExactly } from './file-io'
import { checkLlamaConfig, headDim, tensorShapes, tensorsForConfig, type LlamaConfig } from './llama-config'
import { elementCount, formatShape, sameShape, type NamedTensor, type NamedTensors } from './named-tensors'

// ---------------------------------------------------------------- types

/** The tokenizer part of a GGUF file, as llama.cpp reads it (token ids are indices into `tokens`). */
export type GgufVocab =
  | {
      model: 'llama' // SentencePiece
      tokens: string[]
      scores: number[]
      tokenTypes: number[]
      bos: number
      eos: number
      unk: number
      pad?: number
      addBos?: boolean
      addEos?: boolean
    }
  | {
      model: 'gpt2' // byte-level BPE
      tokens: string[]
      tokenTypes: number[]
      merges: string[]
      /** llama.cpp's pre-tokenizer name, e.g. "llama-bpe" (Llama 3) or "default" (GPT-2 style). */
      pre: string
      bos: number
      eos: number
      unk?: number
      pad?: number
      addBos?: boolean
      addEos?: boolean
    }

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
export const GGUF_TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const

export type GgufValue = number | bigint | boolean | string | GgufValue[]

export type GgufDtype = 'F32' | 'F16' | 'BF16'

export interface GgufTensorInfo {
  name: string
  /** Dimensions as GGUF lists them: fastest-varying first (the reverse of a row-major shape). */
  dims: number[]
  type: number
  typeName: string
  /** Absolute position of the data in the file. */
  offset: number
}

export interface GgufHeader {
  version: number
  metadata: Record<string, GgufValue>
  tensors: GgufTensorInfo[]
  alignment: number
  dataStart: number
  fileSize: number
}

enum VT {
  U8 = 0,
  I8 = 1,
  U16 = 2,
  I16 = 3,
  U32 = 4,
  I32 = 5,
  F32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  U64 = 10,
  I64 = 11,
  F64 = 12,
}
const SCALAR_SIZE: Partial<Record<number, number>> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 }

const GGML_TYPE_NAMES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K', 12: 'Q4_K',
  13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S',
  22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64', 29: 'IQ1_M', 30: 'BF16', 31: 'Q4_0_4_4',
  32: 'Q4_0_4_8', 33: 'Q4_0_8_8', 34: 'TQ1_0', 35: 'TQ2_0', 36: 'IQ4_NL_4_4', 37: 'IQ4_NL_4_8', 38: 'IQ4_NL_8_8', 39: 'MXFP4',
}
const GGML_F32 = 0
const GGML_F16 = 1
const GGML_BF16 = 30
const READABLE_SIZE: Partial<Record<number, number>> = { [GGML_F32]: 4, [GGML_F16]: 2, [GGML_BF16]: 2 }
const FILE_TYPE: Record<GgufDtype, number> = { F32: 0, F16: 1, BF16: 32 } // llama_ftype: ALL_F32, MOSTLY_F16, MOSTLY_BF16
const ALIGNMENT = 32
const MAGIC = 0x46554747 // "GGUF" read as u32 LE

// ---------------------------------------------------------------- names and the q/k permutation

const LAYER_PARTS: [hf: string, gguf: string][] = [
  ['input_layernorm', 'attn_norm'],
  ['self_attn.q_proj', 'attn_q'],
  ['self_attn.k_proj', 'attn_k'],
  ['self_attn.v_proj', 'attn_v'],
  ['self_attn.o_proj', 'attn_output'],
  ['post_attention_layernorm', 'ffn_norm'],
  ['mlp.gate_proj', 'ffn_gate'],
  ['mlp.up_proj', 'ffn_up'],
  ['mlp.down_proj', 'ffn_down'],
]
const GLOBAL_NAMES: [hf: string, gguf: string][] = [
  ['model.embed_tokens.weight', 'token_embd.weight'],
  ['model.norm.weight', 'output_norm.weight'],
  ['lm_head.weight', 'output.weight'],
]

/** The llama.cpp name of a Hugging Face Llama tensor (undefined for names outside the model). */
export function hfToGgufName(name: string): string | undefined {
  for (const [hf, g] of GLOBAL_NAMES) if (name === hf) return g
  const m = /^model\.layers\.(\d+)\.(.+)\.weight$/.exec(name)
  if (!m) return undefined
  const part = LAYER_PARTS.find(([hf]) => hf === m[2])
  return part ? `blk.${m[1]}.${part[1]}.weight` : undefined
}

/** The Hugging Face name of a llama.cpp Llama tensor (undefined for names outside the model). */
export function ggufToHfName(name: string): string | undefined {
  for (const [hf, g] of GLOBAL_NAMES) if (name === g) return hf
  const m = /^blk\.(\d+)\.(.+)\.weight$/.exec(name)
  if (!m) return undefined
  const part = LAYER_PARTS.find(([, g]) => g === m[2])
  return part ? `model.layers.${m[1]}.${part[0]}.weight` : undefined
}

/**
 * Reorders the rows of a q/k projection ([heads * headDim, cols], row-major) from Hugging Face's rotate-half
 * layout to llama.cpp's interleaved one: within each head, row `s * headDim/2 + j` moves to `2j + s`.
 */
export function permuteQkForGguf(data: Float32Array, heads: number, cols: number): Float32Array {
  return reorderHeads(data, heads, cols, false)
}

/** The inverse of `permuteQkForGguf`. */
export function unpermuteQkFromGguf(data: Float32Array, heads: number, cols: number): Float32Array {
  return reorderHeads(data, heads, cols, true)
}

function reorderHeads(data: Float32Array, heads: number, cols: number, inverse: boolean): Float32Array {
  const rows = data.length / cols
  const hd = rows / heads
  if (!Number.isInteger(hd) || hd % 2 !== 0) throw new AppError('invalid_input', `Cannot split ${rows} rows into ${heads} heads of even size`)
  const half = hd / 2
  const out = new Float32Array(data.length)
  for (let h = 0; h < heads; h++) {
    for (let s = 0; s < 2; s++) {
      for (let j = 0; j < half; j++) {
        const hfRow = h * hd + s * half + j
        const ggRow = h * hd + 2 * j + s
        const [from, to] = inverse ? [ggRow, hfRow] : [hfRow, ggRow]
        out.set(data.subarray(from * cols, (from + 1) * cols), to * cols)
      }
    }
  }
  return out
}

/** Number of heads whose rows a tensor's permutation groups (q: attention heads, k: key-value heads), if any. */
function qkHeads(hfName: string, cfg: LlamaConfig): number | undefined {
  if (hfName.endsWith('.self_attn.q_proj.weight')) return cfg.numAttentionHeads
  if (hfName.endsWith('.self_attn.k_proj.weight')) return cfg.numKeyValueHeads
  return undefined
}

// ---------------------------------------------------------------- writing

class ByteWriter {
  private chunks: Uint8Array[] = []
  length = 0
  private push(b: Uint8Array): void {
    this.chunks.push(b)
    this.length += b.byteLength
  }
  private fixed(size: number, set: (v: DataView) => void): void {
    const b = new Uint8Array(size)
    set(new DataView(b.buffer))
    this.push(b)
  }
  u32(v: number): void {
    this.fixed(4, (d) => d.setUint32(0, v, true))
  }
  i32(v: number): void {
    this.fixed(4, (d) => d.setInt32(0, v, true))
  }
  u64(v: number): void {
    this.fixed(8, (d) => d.setBigUint64(0, BigInt(v), true))
  }
  f32(v: number): void {
    this.fixed(4, (d) => d.setFloat32(0, v, true))
  }
  bool(v: boolean): void {
    this.push(Uint8Array.of(v ? 1 : 0))
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8')
    this.u64(b.byteLength)
    this.push(b)
  }
  bytes(b: Uint8Array): void {
    this.push(b)
  }
  pad(alignment: number): void {
    const n = (alignment - (this.length % alignment)) % alignment
    if (n) this.push(new Uint8Array(n))
  }
  toBytes(): Uint8Array {
    return Buffer.concat(this.chunks)
  }
}

type Meta =
  | { type: VT.U32 | VT.I32 | VT.F32; value: number }
  | { type: VT.BOOL; value: boolean }
  | { type: VT.STRING; value: string }
  | { type: VT.ARRAY; of: VT.STRING; value: string[] }
  | { type: VT.ARRAY; of: VT.F32 | VT.I32; value: number[] }

function writeMeta(w: ByteWriter, key: string, m: Meta): void {
  w.string(key)
  w.u32(m.type)
  switch (m.type) {
    case VT.U32:
      return w.u32(m.value)
    case VT.I32:
      return w.i32(m.value)
    case VT.F32:
      return w.f32(m.value)
    case VT.BOOL:
      return w.bool(m.value)
    case VT.STRING:
      return w.string(m.value)
    case VT.ARRAY:
      w.u32(m.of)
      w.u64(m.value.length)
      if (m.of === VT.STRING) for (const s of m.value as string[]) w.string(s)
      else {
        const arr = m.of === VT.F32 ? Float32Array.from(m.value as number[]) : Int32Array.from(m.value as number[])
        w.bytes(new Uint8Array(arr.buffer))
      }
  }
}

function vocabMeta(vocab: GgufVocab, cfg: LlamaConfig): [string, Meta][] {
  const bad = (msg: string) => new AppError('invalid_input', `GGUF tokenizer: ${msg}`)
  const n = vocab.tokens.length
  if (n !== cfg.vocabSize) throw bad(`${n} tokens, but the model's vocabulary has ${cfg.vocabSize}`)
  if (vocab.tokenTypes.length !== n) throw bad(`${vocab.tokenTypes.length} token types for ${n} tokens`)
  if (!vocab.tokenTypes.every((t) => Number.isInteger(t) && t >= 1 && t <= 6)) throw bad('token types must be integers 1-6 (normal, unknown, control, user-defined, unused, byte)')
  if (vocab.bos !== cfg.bosTokenId || vocab.eos !== cfg.eosTokenId) {
    throw bad(`bos/eos ids ${vocab.bos}/${vocab.eos} differ from the model config's ${cfg.bosTokenId}/${cfg.eosTokenId}`)
  }
  const ids: [string, number | undefined][] = [
    ['bos', vocab.bos],
    ['eos', vocab.eos],
    ['unknown', vocab.unk],
    ['padding', vocab.pad],
  ]
  for (const [what, id] of ids) if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < n)) throw bad(`${what} token id ${id} is outside the ${n} tokens`)
  const meta: [string, Meta][] = [['tokenizer.ggml.model', { type: VT.STRING, value: vocab.model }]]
  if (vocab.model === 'gpt2') meta.push(['tokenizer.ggml.pre', { type: VT.STRING, value: vocab.pre }])
  meta.push(['tokenizer.ggml.tokens', { type: VT.ARRAY, of: VT.STRING, value: vocab.tokens }])
  if (vocab.model === 'llama') {
    if (vocab.scores.length !== n) throw bad(`${vocab.scores.length} scores for ${n} tokens`)
    meta.push(['tokenizer.ggml.scores', { type: VT.ARRAY, of: VT.F32, value: vocab.scores }])
  }
  meta.push(['tokenizer.ggml.token_type', { type: VT.ARRAY, of: VT.I32, value: vocab.tokenTypes }])
  if (vocab.model === 'gpt2') meta.push(['tokenizer.ggml.merges', { type: VT.ARRAY, of: VT.STRING, value: vocab.merges }])
  for (const [what, id] of ids) if (id !== undefined) meta.push([`tokenizer.ggml.${what}_token_id`, { type: VT.U32, value: id }])
  if (vocab.addBos !== undefined) meta.push(['tokenizer.ggml.add_bos_token', { type: VT.BOOL, value: vocab.addBos }])
  if (vocab.addEos !== undefined) meta.push(['tokenizer.ggml.add_eos_token', { type: VT.BOOL, value: vocab.addEos }])
  return meta
}

/**
 * Writes a Llama model as GGUF v3 with llama.cpp's metadata keys and tensor names, q/k rows permuted as
 * llama.cpp expects. F16 and BF16 files keep 1-D tensors (the norms) in F32, as llama.cpp's converter does.
 * Written under a temporary name, then renamed.
 */
export async function writeGguf(
  file: string,
  config: LlamaConfig,
  tensors: NamedTensors,
  opts: { dtype?: GgufDtype; tokenizer: GgufVocab; name?: string },
): Promise<void> {
  assertLittleEndianHost()
  const cfg = checkLlamaConfig(config)
  const dtype = opts.dtype ?? 'F32'
  const entries = tensorsForConfig(cfg, tensors)

  const meta: [string, Meta][] = [
    ['general.architecture', { type: VT.STRING, value: 'llama' }],
    ['general.name', { type: VT.STRING, value: opts.name ?? path.basename(file).replace(/\.gguf$/i, '') }],
    ['general.alignment', { type: VT.U32, value: ALIGNMENT }],
    ['general.file_type', { type: VT.U32, value: FILE_TYPE[dtype] }],
    ['llama.context_length', { type: VT.U32, value: cfg.maxPositionEmbeddings }],
    ['llama.embedding_length', { type: VT.U32, value: cfg.hiddenSize }],
    ['llama.block_count', { type: VT.U32, value: cfg.numHiddenLayers }],
    ['llama.feed_forward_length', { type: VT.U32, value: cfg.intermediateSize }],
    ['llama.rope.dimension_count', { type: VT.U32, value: headDim(cfg) }],
    ['llama.attention.head_count', { type: VT.U32, value: cfg.numAttentionHeads }],
    ['llama.attention.head_count_kv', { type: VT.U32, value: cfg.numKeyValueHeads }],
    ['llama.attention.layer_norm_rms_epsilon', { type: VT.F32, value: cfg.rmsNormEps }],
    ['llama.rope.freq_base', { type: VT.F32, value: cfg.ropeTheta }],
    ['llama.vocab_size', { type: VT.U32, value: cfg.vocabSize }],
    ...vocabMeta(opts.tokenizer, cfg),
  ]

  // Tensor infos, with offsets relative to the start of the data section.
  const infos: { name: string; t: NamedTensor; heads?: number; type: number; offset: number; size: number }[] = []
  let offset = 0
  for (const [hfName, t] of entries) {
    const type = t.shape.length < 2 || dtype === 'F32' ? GGML_F32 : dtype === 'F16' ? GGML_F16 : GGML_BF16
    const size = t.data.length * READABLE_SIZE[type]!
    infos.push({ name: hfToGgufName(hfName)!, t, heads: qkHeads(hfName, cfg), type, offset, size })
    offset += Math.ceil(size / ALIGNMENT) * ALIGNMENT
  }

  const w = new ByteWriter()
  w.u32(MAGIC)
  w.u32(3)
  w.u64(infos.length)
  w.u64(meta.length)
  for (const [key, m] of meta) writeMeta(w, key, m)
  for (const info of infos) {
    w.string(info.name)
    w.u32(info.t.shape.length)
    for (const d of [...info.t.shape].reverse()) w.u64(d)
    w.u32(info.type)
    w.u64(info.offset)
  }
  w.pad(ALIGNMENT)

  const out = await PendingFile.create(file)
  try {
    await out.write(w.toBytes())
    for (const info of infos) {
      const shape = info.t.shape
      let data = info.t.data
      if (info.heads !== undefined) data = permuteQkForGguf(data, info.heads, shape[1]!)
      const bytes =
        info.type === GGML_F16
          ? new Uint8Array(f32ToF16(data).buffer)
          : info.type === GGML_BF16
            ? new Uint8Array(f32ToBf16(data).buffer)
            : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      await out.write(bytes)
      const pad = (ALIGNMENT - (info.size % ALIGNMENT)) % ALIGNMENT
      if (pad) await out.write(new Uint8Array(pad))
    }
    await out.publish()
  } catch (err) {
    await out.abort()
    throw err
  }
}

// ---------------------------------------------------------------- reading

/** Sequential reads through a file handle with a window buffer, so large headers (vocabularies) stream. */
class Cursor {
  pos = 0
  private buf: Uint8Array = new Uint8Array(0)
  private view = new DataView(this.buf.buffer)
  private bufStart = 0
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true })

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly label: string,
  ) {}

  fail(msg: string): AppError {
    return new AppError('invalid_input', `${this.label}: ${msg}`)
  }

  private async need(n: number, what: string): Promise<number> {
    if (this.pos + n > this.size) throw this.fail(`the file ends inside ${what} (byte ${this.pos} + ${n} > ${this.size} bytes): truncated or damaged`)
    const at = this.pos - this.bufStart
    if (at + n <= this.buf.byteLength) return at
    const len = Math.min(Math.max(n, 1 << 20), this.size - this.pos)
    this.buf = await readExactly(this.handle, len, this.pos, this.label)
    this.view = new DataView(this.buf.buffer)
    this.bufStart = this.pos
    return 0
  }

  async u32(what: string): Promise<number> {
    const at = await this.need(4, what)
    this.pos += 4
    return this.view.getUint32(at, true)
  }

  async u64(what: string): Promise<number> {
    const at = await this.need(8, what)
    this.pos += 8
    const v = this.view.getBigUint64(at, true)
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${what} is ${v} at byte ${this.pos - 8}, far too large: damaged file`)
    return Number(v)
  }

  async string(what: string): Promise<string> {
    const start = this.pos
    const len = await this.u64(`the length of ${what}`)
    if (len > this.size - this.pos) {
      throw this.fail(`${what} at byte ${start} claims ${len} bytes, beyond the end of the file (string length mismatch: damaged file)`)
    }
    const at = await this.need(len, what)
    this.pos += len
    try {
      return this.utf8.decode(this.buf.subarray(at, at + len))
    } catch {
      throw this.fail(`${what} at byte ${start} is not valid UTF-8 (damaged file: were its bytes re-encoded as text?)`)
    }
  }

  async value(type: number, what: string): Promise<GgufValue> {
    if (type === VT.STRING) return this.string(what)
    if (type === VT.ARRAY) {
      const itemType = await this.u32(`the item type of ${what}`)
      const n = await this.u64(`the length of ${what}`)
      const itemSize = SCALAR_SIZE[itemType]
      if (itemSize !== undefined) {
        if (n * itemSize > this.size - this.pos) throw this.fail(`${what} claims ${n} items, beyond the end of the file: damaged file`)
        const at = await this.need(n * itemSize, what)
        const out = new Array<GgufValue>(n)
        for (let i = 0; i < n; i++) out[i] = this.scalarAt(itemType, at + i * itemSize)
        this.pos += n * itemSize
        return out
      }
      if (itemType !== VT.STRING && itemType !== VT.ARRAY) throw this.fail(`${what} has unknown item type ${itemType}: damaged file`)
      if (n * 8 > this.size - this.pos) throw this.fail(`${what} claims ${n} items, beyond the end of the file: damaged file`)
      const out: GgufValue[] = []
      for (let i = 0; i < n; i++) out.push(await this.value(itemType, `${what}[${i}]`))
      return out
    }
    const size = SCALAR_SIZE[type]
    if (size === undefined) throw this.fail(`${what} has unknown value type ${type} at byte ${this.pos - 4}: damaged file`)
    const at = await this.need(size, what)
    this.pos += size
    return this.scalarAt(type, at)
  }

  private scalarAt(type: number, at: number): GgufValue {
    const v = this.view
    switch (type) {
      case VT.U8:
        return v.getUint8(at)
      case VT.I8:
        return v.getInt8(at)
      case VT.U16:
        return v.getUint16(at, true)
      case VT.I16:
        return v.getInt16(at, true)
      case VT.U32:
        return v.getUint32(at, true)
      case VT.I32:
        return v.getInt32(at, true)
      case VT.F32:
        return v.getFloat32(at, true)
      case VT.BOOL:
        return v.getUint8(at) !== 0
      case VT.U64: {
        const b = v.getBigUint64(at, true)
        return b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b
      }
      case VT.I64: {
        const b = v.getBigInt64(at, true)
        return b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b
      }
      default:
        return v.getFloat64(at, true)
    }
  }
}

async function openGguf(file: string): Promise<FileHandle> {
  try {
    return await fs.open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('not_found', `${file} does not exist`)
    throw err
  }
}

async function parseGgufHeader(handle: FileHandle, file: string): Promise<GgufHeader> {
  const label = file
  const size = (await handle.stat()).size
  const c = new Cursor(handle, size, label)
  if (size < 24) throw c.fail(`not a GGUF file (${size} bytes)`)
  if ((await c.u32('the magic')) !== MAGIC) throw c.fail('not a GGUF file (it does not start with "GGUF")')
  const version = await c.u32('the version')
  if (version !== 2 && version !== 3) throw new AppError('unsupported', `${label}: GGUF version ${version}; versions 2 and 3 can be read`)
  const tensorCount = await c.u64('the tensor count')
  const kvCount = await c.u64('the metadata count')
  if (tensorCount > size / 24 || kvCount > size / 12) throw c.fail(`${tensorCount} tensors and ${kvCount} metadata entries cannot fit in ${size} bytes: damaged file`)
  const metadata: Record<string, GgufValue> = {}
  let previous = ''
  for (let i = 0; i < kvCount; i++) {
    const key = await c.string(`metadata key #${i}${previous ? ` (after ${previous})` : ''}`)
    previous = key
    const type = await c.u32(`the type of ${key}`)
    metadata[key] = await c.value(type, `metadata ${key}`)
  }
  const tensors: GgufTensorInfo[] = []
  for (let i = 0; i < tensorCount; i++) {
    const name = await c.string(`tensor name #${i}`)
    const nDims = await c.u32(`the dimension count of ${name}`)
    if (nDims > 4) throw c.fail(`tensor ${name} has ${nDims} dimensions (at most 4): damaged file`)
    const dims: number[] = []
    for (let d = 0; d < nDims; d++) dims.push(await c.u64(`a dimension of ${name}`))
    const type = await c.u32(`the type of ${name}`)
    const offset = await c.u64(`the offset of ${name}`)
    tensors.push({ name, dims, type, typeName: GGML_TYPE_NAMES[type] ?? `type ${type}`, offset })
  }
  const alignment = typeof metadata['general.alignment'] === 'number' ? metadata['general.alignment'] : ALIGNMENT
  if (!(alignment > 0 && (alignment & (alignment - 1)) === 0)) throw c.fail(`general.alignment ${alignment} is not a power of two`)
  const dataStart = Math.ceil(c.pos / alignment) * alignment
  for (const t of tensors) {
    if (t.offset % alignment !== 0) throw c.fail(`tensor ${t.name} is at offset ${t.offset}, not a multiple of the alignment ${alignment}`)
    t.offset += dataStart
  }
  return { version, metadata, tensors, alignment, dataStart, fileSize: size }
}

/** Reads a GGUF file's metadata and tensor list (no tensor data). */
export async function readGgufHeader(file: string): Promise<GgufHeader> {
  const handle = await openGguf(file)
  try {
    return await parseGgufHeader(handle, file)
  } finally {
    await handle.close()
  }
}

function vocabFrom(meta: Record<string, GgufValue>, label: string): GgufVocab | undefined {
  const model = meta['tokenizer.ggml.model']
  if (model !== 'llama' && model !== 'gpt2') return undefined
  const bad = (key: string, what: string) => new AppError('invalid_input', `${label}: ${key} ${what}`)
  const strings = (key: string): string[] => {
    const v = meta[key]
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad(key, 'is missing or not a list of strings')
    return v as string[]
  }
  const numbers = (key: string, n: number): number[] => {
    const v = meta[key]
    if (!Array.isArray(v) || v.length !== n || !v.every((s) => typeof s === 'number')) throw bad(key, `is missing or not a list of ${n} numbers`)
    return v as number[]
  }
  const id = (key: string): number | undefined => {
    const v = meta[key]
    return typeof v === 'number' ? v : undefined
  }
  const flag = (key: string): boolean | undefined => {
    const v = meta[key]
    return typeof v === 'boolean' ? v : undefined
  }
  const tokens = strings('tokenizer.ggml.tokens')
  const types = meta['tokenizer.ggml.token_type'] === undefined ? tokens.map(() => GGUF_TOKEN_TYPE.NORMAL as number) : numbers('tokenizer.ggml.token_type', tokens.length)
  const optional = {
    ...(id('tokenizer.ggml.padding_token_id') !== undefined && { pad: id('tokenizer.ggml.padding_token_id') }),
    ...(flag('tokenizer.ggml.add_bos_token') !== undefined && { addBos: flag('tokenizer.ggml.add_bos_token') }),
    ...(flag('tokenizer.ggml.add_eos_token') !== undefined && { addEos: flag('tokenizer.ggml.add_eos_token') }),
  }
  if (model === 'llama') {
    return {
      model,
      tokens,
      scores: numbers('tokenizer.ggml.scores', tokens.length),
      tokenTypes: types,
      bos: id('tokenizer.ggml.bos_token_id') ?? 1,
      eos: id('tokenizer.ggml.eos_token_id') ?? 2,
      unk: id('tokenizer.ggml.unknown_token_id') ?? 0,
      ...optional,
    }
  }
  const pre = meta['tokenizer.ggml.pre']
  const unk = id('tokenizer.ggml.unknown_token_id')
  return {
    model,
    tokens,
    tokenTypes: types,
    merges: strings('tokenizer.ggml.merges'),
    pre: typeof pre === 'string' ? pre : 'default',
    bos: id('tokenizer.ggml.bos_token_id') ?? 0,
    eos: id('tokenizer.ggml.eos_token_id') ?? 0,
    ...(unk !== undefined && { unk }),
    ...optional,
  }
}

function configFrom(header: GgufHeader, label: string): LlamaConfig {
  const m = header.metadata
  const arch = m['general.architecture']
  if (arch !== 'llama') throw new AppError('unsupported', `${label}: general.architecture is ${JSON.stringify(arch)}; only "llama" can be read`)
  const num = (key: string, fallback?: number): number => {
    const v = m[key]
    if (typeof v === 'number') return v
    if (v === undefined && fallback !== undefined) return fallback
    throw new AppError(v === undefined ? 'invalid_input' : 'unsupported', `${label}: ${key} is ${v === undefined ? 'missing' : `${JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x))}, not a single number`}`)
  }
  if (typeof m['llama.expert_count'] === 'number' && m['llama.expert_count'] > 0) throw new AppError('unsupported', `${label}: a mixture-of-experts model (llama.expert_count ${m['llama.expert_count']}) is not supported`)
  const scaling = m['llama.rope.scaling.type']
  if (scaling !== undefined && scaling !== 'none') throw new AppError('unsupported', `${label}: RoPE scaling (${String(scaling)}) is not supported`)
  const embed = header.tensors.find((t) => t.name === 'token_embd.weight')
  if (!embed || embed.dims.length !== 2) throw new AppError('invalid_input', `${label}: no 2-D token_embd.weight tensor`)
  const heads = num('llama.attention.head_count')
  const hidden = num('llama.embedding_length')
  const idOf = (v: GgufValue | undefined) => (typeof v === 'number' ? v : undefined)
  const cfg: LlamaConfig = {
    vocabSize: embed.dims[1]!,
    hiddenSize: hidden,
    intermediateSize: num('llama.feed_forward_length'),
    numHiddenLayers: num('llama.block_count'),
    numAttentionHeads: heads,
    numKeyValueHeads: num('llama.attention.head_count_kv', heads),
    maxPositionEmbeddings: num('llama.context_length'),
    rmsNormEps: num('llama.attention.layer_norm_rms_epsilon'),
    ropeTheta: num('llama.rope.freq_base', 10000),
    tieWordEmbeddings: !header.tensors.some((t) => t.name === 'output.weight'),
    bosTokenId: idOf(m['tokenizer.ggml.bos_token_id']) ?? 1,
    eosTokenId: idOf(m['tokenizer.ggml.eos_token_id']) ?? 2,
  }
  const ropeDims = num('llama.rope.dimension_count', hidden / heads)
  if (ropeDims !== hidden / heads) throw new AppError('unsupported', `${label}: llama.rope.dimension_count ${ropeDims} differs from the head dimension ${hidden / heads} (partial rotary embeddings are not supported)`)
  // llama.cpp stores eps as f32: bring 1e-5 back from 9.99999974e-6 by rounding to 7 significant digits.
  cfg.rmsNormEps = Number(cfg.rmsNormEps.toPrecision(7))
  return checkLlamaConfig(cfg, label)
}

/**
 * Reads a Llama GGUF file into a config, Hugging Face named tensors (q/k rows back in rotate-half order),
 * the tokenizer (when it is a llama or gpt2 one) and all metadata. F32, F16 and BF16 tensors only:
 * quantized files are refused, naming the tensor and its type.
 */
export async function readGguf(file: string): Promise<{ config: LlamaConfig; tensors: NamedTensors; vocab: GgufVocab | undefined; metadata: Record<string, GgufValue> }> {
  assertLittleEndianHost()
  const label = file
  const handle = await openGguf(file)
  try {
    const header = await parseGgufHeader(handle, file)
    const config = configFrom(header, label)
    const expected = tensorShapes(config)
    const plan: { info: GgufTensorInfo; hfName: string; shape: number[] }[] = []
    for (const info of header.tensors) {
      const hfName = ggufToHfName(info.name)
      if (hfName === undefined) {
        if (info.name === 'rope_freqs.weight') throw new AppError('unsupported', `${label}: tensor rope_freqs.weight (RoPE frequency scaling) is not supported`)
        throw new AppError('invalid_input', `${label}: unexpected tensor ${info.name} in a Llama model`)
      }
      const shape = [...info.dims].reverse()
      const want = expected.get(hfName)
      if (!want) throw new AppError('invalid_input', `${label}: tensor ${info.name} is not part of a ${config.numHiddenLayers}-layer model`)
      if (!sameShape(shape, want)) throw new AppError('invalid_input', `${label}: tensor ${info.name} (${hfName}) has shape ${formatShape(shape)}, the metadata says ${formatShape(want)}`)
      const itemSize = READABLE_SIZE[info.type]
      if (itemSize === undefined) {
        throw new AppError('unsupported', `${label}: tensor ${info.name} is ${info.typeName}${info.type === GGML_F32 || info.type === GGML_F16 || info.type === GGML_BF16 ? '' : ' (quantized or integer)'}; only F32, F16 and BF16 GGUF files can be read`)
      }
      const end = info.offset + elementCount(shape) * itemSize
      if (end > header.fileSize) throw new AppError('invalid_input', `${label}: tensor ${info.name} ends at byte ${end} but the file has ${header.fileSize}: truncated`)
      plan.push({ info, hfName, shape })
    }
    const found = new Set(plan.map((p) => p.hfName))
    const missing = [...expected.keys()].filter((n) => !found.has(n) && !(n === 'lm_head.weight' && config.tieWordEmbeddings))
    if (missing.length > 0) throw new AppError('invalid_input', `${label}: missing tensors ${missing.slice(0, 5).map(hfToGgufName).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`)

    const loaded = new Map<string, NamedTensor>()
    for (const { info, hfName, shape } of plan) {
      const n = elementCount(shape)
      const bytes = await readExactly(handle, n * READABLE_SIZE[info.type]!, info.offset, `${label}: tensor ${info.name}`)
      let data =
        info.type === GGML_F32 ? new Float32Array(bytes.buffer, 0, n) : info.type === GGML_F16 ? f16ToF32(new Uint16Array(bytes.buffer, 0, n)) : bf16ToF32(new Uint16Array(bytes.buffer, 0, n))
      const heads = qkHeads(hfName, config)
      if (heads !== undefined) data = unpermuteQkFromGguf(data, heads, shape[1]!)
      loaded.set(hfName, { shape, data })
    }
    const tensors: NamedTensors = new Map()
    for (const name of expected.keys()) {
      const t = loaded.get(name)
      if (t) tensors.set(name, t)
    }
    if (!tensors.has('lm_head.weight')) {
      const embed = tensors.get('model.embed_tokens.weight')!
      tensors.set('lm_head.weight', { shape: [...embed.shape], data: embed.data.slice() })
    }
    return { config, tensors, vocab: vocabFrom(header.metadata, label), metadata: header.metadata }
  } finally {
    await handle.close()
  }
}

/** The tokenizer of a GGUF file (vocab-only files included); refuses files without a llama or gpt2 tokenizer. */
export async function readGgufVocab(file: string): Promise<GgufVocab> {
  const header = await readGgufHeader(file)
  const vocab = vocabFrom(header.metadata, file)
  if (!vocab) {
    throw new AppError('unsupported', `${file}: tokenizer.ggml.model is ${JSON.stringify(header.metadata['tokenizer.ggml.model'] ?? null)}; only "llama" (SentencePiece) and "gpt2" (BPE) tokenizers can be read`)
  }
  return vocab
}
