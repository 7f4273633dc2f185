// Parses a SentencePiece `tokenizer.model` (protobuf ModelProto): pieces with scores and types, trainer and normalizer settings.
import { AppError } from '../../shared/errors'

/** SentencePiece piece types (sentencepiece_model.proto: SentencePiece.Type). */
export const PieceType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const

export interface SentencePiece {
  piece: string
  score: number
  type: number
}

export interface SentencePieceModel {
  pieces: SentencePiece[]
  /** TrainerSpec.model_type: 1 unigram, 2 BPE, 3 word, 4 char. */
  modelType: number
  byteFallback: boolean
  /** -1 when the model has none. */
  unkId: number
  bosId: number
  eosId: number
  addDummyPrefix: boolean
  removeExtraWhitespaces: boolean
  normalizerName: string
}

const WIRE_VARINT = 0
const WIRE_FIXED64 = 1
const WIRE_LEN = 2
const WIRE_FIXED32 = 5
const utf8 = new TextDecoder('utf-8', { fatal: true })

class Truncated extends Error {}

/** A protobuf wire-format reader over bytes[pos, end). */
class Proto {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    public pos: number,
    readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end
  }

  /** A varint's low 32 bits as a signed int32 (what int32, enum and bool fields need). */
  varint(): number {
    let lo = 0
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new Truncated(`a number runs past the end of its message at byte ${this.pos}`)
      const b = this.bytes[this.pos++] as number
      if (shift < 32) lo |= (b & 0x7f) << shift
      if (!(b & 0x80)) return lo
    }
    throw new Truncated(`a number at byte ${this.pos} is longer than 10 bytes`)
  }

  tag(): { field: number; wire: number } {
    const t = this.varint() >>> 0
    return { field: t >>> 3, wire: t & 7 }
  }

  sub(): Proto {
    const n = this.varint()
    const start = this.pos
    if (n < 0 || start + n > this.end) throw new Truncated(`a field of ${n >>> 0} bytes at byte ${start} runs past the end of its message (byte ${this.end})`)
    this.pos += n
    return new Proto(this.bytes, this.view, start, start + n)
  }

  string(): string {
    const s = this.sub()
    try {
      return utf8.decode(this.bytes.subarray(s.pos, s.end))
    } catch {
      throw new Truncated(`the string at byte ${s.pos} is not valid UTF-8`)
    }
  }

  float(): number {
    if (this.pos + 4 > this.end) throw new Truncated(`a float at byte ${this.pos} runs past the end of its message`)
    const v = this.view.getFloat32(this.pos, true)
    this.pos += 4
    return v
  }

  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.varint()
    else if (wire === WIRE_LEN) this.sub()
    else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      this.pos += wire === WIRE_FIXED64 ? 8 : 4
      if (this.pos > this.end) throw new Truncated(`a fixed-size field runs past the end of its message at byte ${this.end}`)
    } else throw new Truncated(`unknown wire type ${wire} at byte ${this.pos}`)
  }
}

function expectWire(wire: number, expected: number, what: string, at: number): void {
  if (wire !== expected) throw new Truncated(`${what} at byte ${at} has wire type ${wire} instead of ${expected}`)
}

function readPiece(p: Proto, index: number): SentencePiece {
  const out: SentencePiece = { piece: '', score: 0, type: PieceType.NORMAL }
  while (!p.done) {
    const at = p.pos
    const { field, wire } = p.tag()
    if (field === 1) {
      expectWire(wire, WIRE_LEN, `piece #${index}'s text`, at)
      out.piece = p.string()
    } else if (field === 2) {
      expectWire(wire, WIRE_FIXED32, `piece #${index}'s score`, at)
      out.score = p.float()
    } else if (field === 3) {
      expectWire(wire, WIRE_VARINT, `piece #${index}'s type`, at)
      out.type = p.varint()
    } else p.skip(wire)
  }
  if (out.type < PieceType.NORMAL || out.type > PieceType.BYTE) throw new Truncated(`piece #${index} has an unknown type ${out.type}`)
  return out
}

/** Parses ModelProto bytes; throws `invalid_input` naming the file when the bytes are not a well-formed model. */
export function parseSentencePieceModel(bytes: Uint8Array, file: string): SentencePieceModel {
  const model: SentencePieceModel = {
    pieces: [],
    modelType: 1,
    byteFallback: false,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    normalizerName: '',
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  try {
    const top = new Proto(bytes, view, 0, bytes.length)
    while (!top.done) {
      const at = top.pos
      const { field, wire } = top.tag()
      if (field === 1) {
        expectWire(wire, WIRE_LEN, `piece #${model.pieces.length}`, at)
        model.pieces.push(readPiece(top.sub(), model.pieces.length))
      } else if (field === 2) {
        expectWire(wire, WIRE_LEN, 'the trainer spec', at)
        const t = top.sub()
        while (!t.done) {
          const tag = t.tag()
          if (tag.wire !== WIRE_VARINT) t.skip(tag.wire)
          else if (tag.field === 3) model.modelType = t.varint()
          else if (tag.field === 35) model.byteFallback = t.varint() !== 0
          else if (tag.field === 40) model.unkId = t.varint()
          else if (tag.field === 41) model.bosId = t.varint()
          else if (tag.field === 42) model.eosId = t.varint()
          else t.varint()
        }
      } else if (field === 3) {
        expectWire(wire, WIRE_LEN, 'the normalizer spec', at)
        const n = top.sub()
        while (!n.done) {
          const tag = n.tag()
          if (tag.field === 1 && tag.wire === WIRE_LEN) model.normalizerName = n.string()
          else if (tag.field === 3 && tag.wire === WIRE_VARINT) model.addDummyPrefix = n.varint() !== 0
          else if (tag.field === 4 && tag.wire === WIRE_VARINT) model.removeExtraWhitespaces = n.varint() !== 0
          else n.skip(tag.wire)
        }
      } else top.skip(wire)
    }
  } catch (err) {
    if (!(err instanceof Truncated)) throw err
    throw new AppError('invalid_input', `${file} is a damaged SentencePiece model: ${err.message}. The file is truncated or corrupted: download it again.`)
  }
  if (model.pieces.length === 0) {
    throw new AppError('invalid_input', `${file} is not a SentencePiece model: it has no pieces. Point to the tokenizer.model (or tokenizer.json) of the model.`)
  }
  return model
}
