// GGUF v3 (llama.cpp's format) for Llama models: a writer that llama.cpp loads, and a reader for F32/F16/BF16 files
// (the header itself is parsed by gguf-reader.ts).
// Layout: "GGUF", u32 version, u64 tensor count, u64 metadata count, metadata (key, u32 type, value),
// tensor infos (name, u32 n_dims, u64 dims fastest-first, u32 ggml type, u64 offset), padding to
// general.alignment, then the tensor data, each tensor aligned. All little-endian.
// llama.cpp names tensors differently from Hugging Face and stores q/k rows in the interleaved RoPE order:
// the converter (convert_hf_to_gguf.py, `permute`) reorders each head's rows from rotate-half [x0..x(d/2-1), y0..]
// to pairs [x0, y0, x1, y1, ...]. We do the same on write and undo it on read.
import path from 'node:path'
import { AppError } from '../../shared/errors'
import { assertLittleEndianHost, decodeFloats, encodeFloats, FLOAT_DTYPE_SIZE, type FloatDtype } from './float16'
import { PendingFile, openForReading, readExactly } from './file-io'
import { GGUF_MAGIC, GgufType, type GgufHeader, type GgufTensorInfo, ggufInteger, ggufNumber, ggufString, readGgufHeader } from './gguf-reader'
import { checkLlamaConfig, headDim, inConfigOrder, missingTensors, tensorShapes, tensorsForConfig, type LlamaConfig } from './llama-config'
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
      addBos?: boolean
      addEos?: boolean
    }

/** llama.cpp token types (`tokenizer.ggml.token_type`). */
export const GGUF_TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const

export type GgufDtype = FloatDtype

const GGML_F32 = 0
const GGML_F16 = 1
const GGML_BF16 = 30
/** The ggml types we read and write: number of each dtype, and dtype of each number. */
const GGML_TYPE: Record<FloatDtype, number> = { F32: GGML_F32, F16: GGML_F16, BF16: GGML_BF16 }
const GGML_DTYPE: Partial<Record<number, FloatDtype>> = { [GGML_F32]: 'F32', [GGML_F16]: 'F16', [GGML_BF16]: 'BF16' }
const FILE_TYPE: Record<GgufDtype, number> = { F32: 0, F16: 1, BF16: 32 } // llama_ftype: ALL_F32, MOSTLY_F16, MOSTLY_BF16
const ALIGNMENT = 32

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

const T = GgufType
type Meta =
  | { type: typeof T.UINT32 | typeof T.INT32 | typeof T.FLOAT32; value: number }
  | { type: typeof T.BOOL; value: boolean }
  | { type: typeof T.STRING; value: string }
  | { type: typeof T.ARRAY; of: typeof T.STRING; value: string[] }
  | { type: typeof T.ARRAY; of: typeof T.FLOAT32 | typeof T.INT32; value: number[] }

function writeMeta(w: ByteWriter, key: string, m: Meta): void {
  w.string(key)
  w.u32(m.type)
  switch (m.type) {
    case T.UINT32:
      return w.u32(m.value)
    case T.INT32:
      return w.i32(m.value)
    case T.FLOAT32:
      return w.f32(m.value)
    case T.BOOL:
      return w.bool(m.value)
    case T.STRING:
      return w.string(m.value)
    case T.ARRAY:
      w.u32(m.of)
      w.u64(m.value.length)
      if (m.of === T.STRING) for (const s of m.value as string[]) w.string(s)
      else {
        const arr = m.of === T.FLOAT32 ? Float32Array.from(m.value as number[]) : Int32Array.from(m.value as number[])
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
  ]
  for (const [what, id] of ids) if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < n)) throw bad(`${what} token id ${id} is outside the ${n} tokens`)
  const meta: [string, Meta][] = [['tokenizer.ggml.model', { type: T.STRING, value: vocab.model }]]
  if (vocab.model === 'gpt2') meta.push(['tokenizer.ggml.pre', { type: T.STRING, value: vocab.pre }])
  meta.push(['tokenizer.ggml.tokens', { type: T.ARRAY, of: T.STRING, value: vocab.tokens }])
  if (vocab.model === 'llama') {
    if (vocab.scores.length !== n) throw bad(`${vocab.scores.length} scores for ${n} tokens`)
    meta.push(['tokenizer.ggml.scores', { type: T.ARRAY, of: T.FLOAT32, value: vocab.scores }])
  }
  meta.push(['tokenizer.ggml.token_type', { type: T.ARRAY, of: T.INT32, value: vocab.tokenTypes }])
  if (vocab.model === 'gpt2') meta.push(['tokenizer.ggml.merges', { type: T.ARRAY, of: T.STRING, value: vocab.merges }])
  for (const [what, id] of ids) if (id !== undefined) meta.push([`tokenizer.ggml.${what}_token_id`, { type: T.UINT32, value: id }])
  if (vocab.addBos !== undefined) meta.push(['tokenizer.ggml.add_bos_token', { type: T.BOOL, value: vocab.addBos }])
  if (vocab.addEos !== undefined) meta.push(['tokenizer.ggml.add_eos_token', { type: T.BOOL, value: vocab.addEos }])
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
    ['general.architecture', { type: T.STRING, value: 'llama' }],
    ['general.name', { type: T.STRING, value: opts.name ?? path.basename(file).replace(/\.gguf$/i, '') }],
    ['general.alignment', { type: T.UINT32, value: ALIGNMENT }],
    ['general.file_type', { type: T.UINT32, value: FILE_TYPE[dtype] }],
    ['llama.context_length', { type: T.UINT32, value: cfg.maxPositionEmbeddings }],
    ['llama.embedding_length', { type: T.UINT32, value: cfg.hiddenSize }],
    ['llama.block_count', { type: T.UINT32, value: cfg.numHiddenLayers }],
    ['llama.feed_forward_length', { type: T.UINT32, value: cfg.intermediateSize }],
    ['llama.rope.dimension_count', { type: T.UINT32, value: headDim(cfg) }],
    ['llama.attention.head_count', { type: T.UINT32, value: cfg.numAttentionHeads }],
    ['llama.attention.head_count_kv', { type: T.UINT32, value: cfg.numKeyValueHeads }],
    ['llama.attention.layer_norm_rms_epsilon', { type: T.FLOAT32, value: cfg.rmsNormEps }],
    ['llama.rope.freq_base', { type: T.FLOAT32, value: cfg.ropeTheta }],
    ['llama.vocab_size', { type: T.UINT32, value: cfg.vocabSize }],
    ...vocabMeta(opts.tokenizer, cfg),
  ]

  // Tensor infos, with offsets relative to the start of the data section.
  const infos: { name: string; t: NamedTensor; heads?: number; dtype: FloatDtype; offset: number; size: number }[] = []
  let offset = 0
  for (const [hfName, t] of entries) {
    const tensorDtype: FloatDtype = t.shape.length < 2 ? 'F32' : dtype
    const size = t.data.length * FLOAT_DTYPE_SIZE[tensorDtype]
    infos.push({ name: hfToGgufName(hfName)!, t, heads: qkHeads(hfName, cfg), dtype: tensorDtype, offset, size })
    offset += Math.ceil(size / ALIGNMENT) * ALIGNMENT
  }

  const w = new ByteWriter()
  w.u32(GGUF_MAGIC)
  w.u32(3)
  w.u64(infos.length)
  w.u64(meta.length)
  for (const [key, m] of meta) writeMeta(w, key, m)
  for (const info of infos) {
    w.string(info.name)
    w.u32(info.t.shape.length)
    for (const d of [...info.t.shape].reverse()) w.u64(d)
    w.u32(GGML_TYPE[info.dtype])
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
      await out.write(encodeFloats(data, info.dtype))
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

function configFrom(header: GgufHeader): LlamaConfig {
  const label = header.file
  const arch = ggufString(header, 'general.architecture')
  if (arch !== 'llama') throw new AppError('unsupported', `${label}: general.architecture is ${JSON.stringify(arch)}; only "llama" can be read`)
  const num = (key: string, fallback?: number): number => {
    const v = ggufNumber(header, key) ?? fallback
    if (v === undefined) throw new AppError('invalid_input', `${label}: ${key} is missing`)
    return v
  }
  const experts = ggufInteger(header, 'llama.expert_count') ?? 0
  if (experts > 0) throw new AppError('unsupported', `${label}: a mixture-of-experts model (llama.expert_count ${experts}) is not supported`)
  const scaling = header.kv.get('llama.rope.scaling.type')
  if (scaling !== undefined && scaling !== 'none') throw new AppError('unsupported', `${label}: RoPE scaling (${String(scaling)}) is not supported`)
  const embed = header.tensors.find((t) => t.name === 'token_embd.weight')
  if (!embed || embed.dims.length !== 2) throw new AppError('invalid_input', `${label}: no 2-D token_embd.weight tensor`)
  const heads = num('llama.attention.head_count')
  const hidden = num('llama.embedding_length')
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
    bosTokenId: ggufInteger(header, 'tokenizer.ggml.bos_token_id') ?? 1,
    eosTokenId: ggufInteger(header, 'tokenizer.ggml.eos_token_id') ?? 2,
  }
  const ropeDims = num('llama.rope.dimension_count', hidden / heads)
  if (ropeDims !== hidden / heads) throw new AppError('unsupported', `${label}: llama.rope.dimension_count ${ropeDims} differs from the head dimension ${hidden / heads} (partial rotary embeddings are not supported)`)
  // llama.cpp stores eps as f32: bring 1e-5 back from 9.99999974e-6 by rounding to 7 significant digits.
  cfg.rmsNormEps = Number(cfg.rmsNormEps.toPrecision(7))
  return checkLlamaConfig(cfg, label)
}

/**
 * Reads a Llama GGUF file into a config and Hugging Face named tensors (q/k rows back in rotate-half order), with
 * its header (all metadata; `loadTokenizer` reads the vocabulary). F32, F16 and BF16 tensors only: quantized files
 * are refused, naming the tensor and its type.
 */
export async function readGguf(file: string): Promise<{ config: LlamaConfig; tensors: NamedTensors; header: GgufHeader }> {
  assertLittleEndianHost()
  const label = file
  const header = await readGgufHeader(file)
  const config = configFrom(header)
  const expected = tensorShapes(config)
  const plan: { info: GgufTensorInfo; hfName: string; shape: number[]; dtype: FloatDtype }[] = []
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
    const dtype = GGML_DTYPE[info.type]
    if (dtype === undefined) {
      throw new AppError('unsupported', `${label}: tensor ${info.name} is ${info.typeName} (quantized or integer); only F32, F16 and BF16 GGUF files can be read`)
    }
    const end = info.offset + elementCount(shape) * FLOAT_DTYPE_SIZE[dtype]
    if (end > header.fileSize) throw new AppError('invalid_input', `${label}: tensor ${info.name} ends at byte ${end} but the file has ${header.fileSize}: truncated`)
    plan.push({ info, hfName, shape, dtype })
  }
  const found = new Set(plan.map((p) => p.hfName))
  const missing = missingTensors(config, found)
  if (missing.length > 0) throw new AppError('invalid_input', `${label}: missing tensors ${missing.slice(0, 5).map(hfToGgufName).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`)

  const loaded = new Map<string, NamedTensor>()
  const handle = await openForReading(file)
  try {
    for (const { info, hfName, shape, dtype } of plan) {
      const n = elementCount(shape)
      const bytes = await readExactly(handle, n * FLOAT_DTYPE_SIZE[dtype], info.offset, `${label}: tensor ${info.name}`)
      let data = decodeFloats(bytes, dtype, n)
      const heads = qkHeads(hfName, config)
      if (heads !== undefined) data = unpermuteQkFromGguf(data, heads, shape[1]!)
      loaded.set(hfName, { shape, data })
    }
  } finally {
    await handle.close()
  }
  return { config, tensors: inConfigOrder(config, loaded), header }
}
