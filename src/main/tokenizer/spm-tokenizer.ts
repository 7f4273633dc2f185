// SentencePiece-style BPE (Llama 2) as llama.cpp's llm_tokenizer_spm does it: dummy prefix, ▁ for spaces, merges, byte fallback.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { AppError } from '../../shared/errors'
import type { GgufVocab } from '../weights/gguf'
import { AddedTokenMatcher, type AddedToken } from './added-tokens'
import { bpeMerge, type PairRank } from './bpe-merge'
import { CACHEABLE_PIECE, PieceCache } from './piece-cache'
import { PieceType, parseSentencePieceModel } from './sentencepiece-model'
import { type EncodeOptions, type Tokenizer, checkId, withBos } from './tokenizer'

export const META = '\u2581'

export interface SpmSpec {
  name: string
  /** Piece of each id. */
  pieces: readonly string[]
  /** PieceType of each id. */
  types: ArrayLike<number>
  /** Score of each piece (higher merges first): SentencePiece's own, or derived from a merge list. */
  scores: ArrayLike<number>
  /** Merge order; built by `rankByScore` (SentencePiece, GGUF) or from a merges list (tokenizer.json). */
  rank: PairRank
  unkId: number | null
  bosId: number | null
  eosId: number | null
  addDummyPrefix: boolean
}

const encoder = new TextEncoder()
const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/

/** SentencePiece's rule: the pair whose concatenation is a piece with the highest score merges first. */
export function rankByScore(pieceIds: ReadonlyMap<string, number>, scores: ArrayLike<number>): PairRank {
  return (a, b) => {
    const id = pieceIds.get(a + b)
    return id === undefined ? undefined : -(scores[id] as number)
  }
}

/** Pieces that text can be merged into: normal and user-defined ones (not control, unknown, unused or byte pieces). */
export function mergeablePieces(pieces: readonly string[], types: ArrayLike<number>): Map<string, number> {
  const ids = new Map<string, number>()
  pieces.forEach((p, id) => {
    const t = types[id]
    if ((t === PieceType.NORMAL || t === PieceType.USER_DEFINED) && !ids.has(p)) ids.set(p, id)
  })
  return ids
}

/** A space as SentencePiece sees it: ' ', or ▁ written in the text (the two are one piece). */
function isSpace(code: number): boolean {
  return code === 32 || code === 0x2581
}

export class SpmTokenizer implements Tokenizer {
  readonly kind = 'spm'
  readonly name: string
  readonly vocabSize: number
  readonly bosId: number | null
  readonly eosId: number | null
  private readonly spec: SpmSpec
  private readonly pieceIds: Map<string, number>
  /** Id of `<0xXX>` for each byte, -1 when missing. */
  private readonly byteIds = new Int32Array(256).fill(-1)
  /** Byte value of each byte piece id. */
  private readonly byteOf = new Map<number, number>()
  private readonly added: AddedTokenMatcher
  /** When no piece joins a non-▁ character to a following ▁, text can be cut before each run of ▁ and cached per chunk. */
  private readonly chunked: boolean
  /**
   * Chunked, and no user-defined pieces (matched in any text, not only on request like control ones):
   * words can then be cut from the text as written, without making its ▁ form first.
   */
  private readonly wordsFromText: boolean
  private readonly cache = new PieceCache()

  constructor(spec: SpmSpec) {
    this.spec = spec
    this.name = spec.name
    this.vocabSize = spec.pieces.length
    this.bosId = spec.bosId
    this.eosId = spec.eosId
    this.pieceIds = mergeablePieces(spec.pieces, spec.types)
    const added: AddedToken[] = []
    spec.pieces.forEach((p, id) => {
      const t = spec.types[id]
      const byte = t === PieceType.BYTE ? BYTE_PIECE.exec(p) : null
      if (byte) {
        const b = parseInt(byte[1] as string, 16)
        if (this.byteIds[b] === -1) this.byteIds[b] = id
        this.byteOf.set(id, b)
      } else if (t === PieceType.CONTROL || t === PieceType.UNKNOWN) added.push({ id, content: p, special: true })
      else if (t === PieceType.USER_DEFINED) added.push({ id, content: p, special: false })
    })
    this.added = new AddedTokenMatcher(added, (c) => c.replaceAll(' ', META))
    this.chunked = ![...this.pieceIds.keys()].some((p) => /[^\u2581]\u2581/u.test(p))
    this.wordsFromText = this.chunked && added.every((t) => t.special)
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out = withBos(opts.bos, this.bosId, this.name)
    if (text === '') return out
    const special = opts.special ?? false
    const push = (ids: readonly number[]) => {
      for (const id of ids) out.push(id)
    }
    // The common case, no added piece to look for: the words are cut from the text itself (one byte a
    // character for Latin text, where the ▁ form takes two), and spaces become ▁ only in uncached words.
    if (this.wordsFromText && !special) {
      this.eachWord(this.withPrefix(text), push)
      return out
    }
    const normalized = (this.spec.addDummyPrefix ? META : '') + text.replaceAll(' ', META)
    for (const seg of this.added.split(normalized, special)) {
      if (typeof seg === 'number') out.push(seg)
      else if (!this.chunked) this.encodeChunk(seg, out)
      else this.eachWord(seg, push)
    }
    return out
  }

  /** encode(text).length, without making the ids: what an import's token counts need. */
  count(text: string): number {
    if (text === '' || !this.wordsFromText) return this.encode(text).length
    let n = 0
    this.eachWord(this.withPrefix(text), (ids) => (n += ids.length))
    return n
  }

  /** The text with the dummy prefix, as a flat string (`join`: charCodeAt reads a concatenation slowly). */
  private withPrefix(text: string): string {
    return this.spec.addDummyPrefix ? [' ', text].join('') : text
  }

  /**
   * The ids of each word of the text, in order: the text is cut before each run of spaces (' ' or ▁),
   * the chunks `/▁+[^▁]*|[^▁]+/` finds in the ▁ form, and words up to CACHEABLE_PIECE go through the cache.
   */
  private eachWord(text: string, take: (ids: readonly number[]) => void): void {
    const n = text.length
    for (let i = 0; i < n; ) {
      let j = i
      while (j < n && isSpace(text.charCodeAt(j))) j++
      while (j < n && !isSpace(text.charCodeAt(j))) j++
      const word = text.slice(i, j)
      i = j
      let ids = word.length <= CACHEABLE_PIECE ? this.cache.get(word) : undefined
      if (!ids) {
        ids = []
        this.encodeChunk(word.replaceAll(' ', META), ids)
        if (word.length <= CACHEABLE_PIECE) this.cache.set(word, ids)
      }
      take(ids)
    }
  }

  private encodeChunk(chunk: string, out: number[]): void {
    for (const sym of bpeMerge(Array.from(chunk), this.spec.rank)) {
      const id = this.pieceIds.get(sym)
      if (id !== undefined) {
        out.push(id)
        continue
      }
      const bytes = Array.from(encoder.encode(sym), (b) => this.byteIds[b] as number)
      if (bytes.every((id) => id >= 0)) for (const id of bytes) out.push(id)
      else if (this.spec.unkId !== null) out.push(this.spec.unkId)
      else throw new AppError('unsupported', `${this.name} can neither spell "${sym}" nor fall back to bytes or an unknown token.`)
    }
  }

  ggufVocab(): GgufVocab {
    const { pieces, types, scores, unkId, bosId, eosId } = this.spec
    if (bosId === null || eosId === null) throw new AppError('unsupported', `${this.name} lacks a BOS or EOS token, which llama.cpp needs.`)
    return { model: 'llama', tokens: [...pieces], scores: Array.from(scores), tokenTypes: Array.from(types), bos: bosId, eos: eosId, unk: unkId ?? 0, addBos: true, addEos: false }
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = []
    for (const id of ids) {
      checkId(id, this.vocabSize)
      const t = this.spec.types[id]
      if (t === PieceType.CONTROL) continue
      const b = this.byteOf.get(id)
      if (b !== undefined) bytes.push(b)
      else for (const x of encoder.encode((this.spec.pieces[id] as string).replaceAll(META, ' '))) bytes.push(x)
    }
    const text = Buffer.from(bytes).toString('utf8')
    return this.spec.addDummyPrefix && text.startsWith(' ') ? text.slice(1) : text
  }

  tokenToString(id: number): string {
    checkId(id, this.vocabSize)
    return this.spec.pieces[id] as string
  }
}

/** Checks that an SPM vocabulary's special ids exist; returns the id or null. */
export function specialId(id: number | undefined, size: number, file: string, what: string): number | null {
  if (id === undefined || id < 0) return null
  if (id >= size) throw new AppError('invalid_input', `${file}: the ${what} id ${id} is outside the vocabulary of ${size} tokens; the file is damaged.`)
  return id
}

/** Loads a SentencePiece ModelProto (Llama 2 `tokenizer.model`). */
export async function loadSentencePiece(file: string): Promise<SpmTokenizer> {
  const model = parseSentencePieceModel(await fs.readFile(file), file)
  if (model.modelType !== 2) {
    const kind = ['', 'a unigram', 'a BPE', 'a word', 'a character'][model.modelType] ?? `an unknown (type ${model.modelType})`
    throw new AppError('unsupported', `${file} is ${kind} SentencePiece model; only BPE models (Llama 2 family) are supported.`)
  }
  const pieces = model.pieces.map((p) => p.piece)
  const types = Uint8Array.from(model.pieces, (p) => p.type)
  const size = pieces.length
  const scores = Float32Array.from(model.pieces, (p) => p.score)
  return new SpmTokenizer({
    name: path.basename(file),
    pieces,
    types,
    scores,
    rank: rankByScore(mergeablePieces(pieces, types), scores),
    unkId: specialId(model.unkId, size, file, 'unknown-token'),
    bosId: specialId(model.bosId, size, file, 'BOS'),
    eosId: specialId(model.eosId, size, file, 'EOS'),
    addDummyPrefix: model.addDummyPrefix,
  })
}
