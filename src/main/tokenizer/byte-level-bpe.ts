// Byte-level BPE (Llama 3 tiktoken, GPT-2 style tokenizer.json, our trained ones): regex pre-tokens, bytes, merges by rank.
import { AppError } from '../../shared/errors'
import { GGUF_TOKEN_TYPE, type GgufVocab } from '../weights/gguf'
import { AddedTokenMatcher, type AddedToken } from './added-tokens'
import { bpeMerge, type PairRank } from './bpe-merge'
import { CHAR_TO_BYTE, isByteLevel, toByteLevel } from './byte-level'
import { CACHEABLE_PIECE, PieceCache } from './piece-cache'
import { splitIsolated } from './pretokenizer'
import { type EncodeOptions, type Tokenizer, checkId, withBos } from './tokenizer'

export interface ByteLevelSpec {
  name: string
  /** Token of each id: byte-level spelling for ordinary tokens, literal text for added ones. */
  tokens: readonly string[]
  /** Added tokens (specials and user-defined); their ids index `tokens`. */
  added: readonly AddedToken[]
  rank: PairRank
  /** What a GGUF file needs to rebuild the merges: the merge list ("a b") and llama.cpp's pre-tokenizer name; null when unknown (tiktoken ranks, custom splits). */
  gguf: { merges: readonly string[]; pre: string } | null
  /** Take a whole pre-token that is in the vocabulary as one token before merging (tiktoken, Llama 3). */
  ignoreMerges: boolean
  pretokenizer: RegExp
  bosId: number | null
  eosId: number | null
}

const encoder = new TextEncoder()

/** Merge order by the rank (id) of the merged token, as tiktoken does. */
export function rankByTokenId(vocab: ReadonlyMap<string, number>): PairRank {
  return (a, b) => vocab.get(a + b)
}

/** Merge order by position in a merges list: `merges.get(left)?.get(right)`. */
export function rankByMergeList(merges: ReadonlyMap<string, ReadonlyMap<string, number>>): PairRank {
  return (a, b) => merges.get(a)?.get(b)
}

/** Throws `invalid_input` naming the first ordinary token that is not spelled in the byte-level alphabet. */
export function checkByteLevelTokens(tokens: readonly string[], added: readonly AddedToken[], file: string): void {
  const addedIds = new Set(added.map((t) => t.id))
  const bad = tokens.findIndex((t, id) => !addedIds.has(id) && !isByteLevel(t))
  if (bad < 0) return
  throw new AppError(
    'invalid_input',
    `${file}: token ${bad} ${JSON.stringify(tokens[bad])} is not spelled in the byte-level alphabet (spaces are "Ġ", newlines "Ċ"); ` +
      'the file looks damaged (spaces, non-breaking spaces or line breaks changed?). Download it again.',
  )
}

export class ByteLevelBpeTokenizer implements Tokenizer {
  readonly kind = 'bpe'
  readonly name: string
  readonly vocabSize: number
  readonly bosId: number | null
  readonly eosId: number | null
  private readonly spec: ByteLevelSpec
  private readonly vocab = new Map<string, number>()
  private readonly matcher: AddedTokenMatcher
  /** Literal text of added tokens, by id; specials decode to nothing. */
  private readonly literal = new Map<number, string>()
  private readonly cache = new PieceCache()

  constructor(spec: ByteLevelSpec) {
    this.spec = spec
    this.name = spec.name
    this.vocabSize = spec.tokens.length
    this.bosId = spec.bosId
    this.eosId = spec.eosId
    const addedIds = new Set(spec.added.map((t) => t.id))
    spec.tokens.forEach((t, id) => {
      if (!addedIds.has(id) && !this.vocab.has(t)) this.vocab.set(t, id)
    })
    for (const t of spec.added) this.literal.set(t.id, t.special ? '' : t.content)
    this.matcher = new AddedTokenMatcher(spec.added)
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out = withBos(opts.bos, this.bosId, this.name)
    for (const seg of this.matcher.split(text, opts.special ?? false)) {
      if (typeof seg === 'number') out.push(seg)
      else for (const piece of splitIsolated(seg, this.spec.pretokenizer)) this.encodePiece(piece, out)
    }
    return out
  }

  count(text: string): number {
    return this.encode(text).length
  }

  ggufVocab(): GgufVocab {
    const { gguf, tokens, added, bosId, eosId } = this.spec
    if (!gguf) throw new AppError('unsupported', `${this.name} has no merge list or a pre-tokenizer llama.cpp knows, so it cannot be written to GGUF; use a tokenizer.json with merges.`)
    if (bosId === null || eosId === null) throw new AppError('unsupported', `${this.name} lacks a BOS or EOS token, which llama.cpp needs.`)
    const kind = new Map(added.map((t) => [t.id, t.special ? GGUF_TOKEN_TYPE.CONTROL : GGUF_TOKEN_TYPE.USER_DEFINED]))
    return { model: 'gpt2', tokens: [...tokens], tokenTypes: tokens.map((_, id) => kind.get(id) ?? GGUF_TOKEN_TYPE.NORMAL), merges: [...gguf.merges], pre: gguf.pre, bos: bosId, eos: eosId, addBos: true, addEos: false }
  }

  private encodePiece(piece: string, out: number[]): void {
    const cached = this.cache.get(piece)
    if (cached) {
      for (const id of cached) out.push(id)
      return
    }
    const word = toByteLevel(piece)
    const whole = this.spec.ignoreMerges ? this.vocab.get(word) : undefined
    const ids = whole !== undefined ? [whole] : bpeMerge(word.split(''), this.spec.rank).map((s) => this.idOf(s))
    if (piece.length <= CACHEABLE_PIECE) this.cache.set(piece, ids)
    for (const id of ids) out.push(id)
  }

  private idOf(symbol: string): number {
    const id = this.vocab.get(symbol)
    if (id === undefined) throw new AppError('unsupported', `${this.name} has no token for the byte 0x${(CHAR_TO_BYTE.get(symbol) ?? 0).toString(16)}.`)
    return id
  }

  decode(ids: readonly number[]): string {
    const bytes: number[] = []
    for (const id of ids) {
      checkId(id, this.vocabSize)
      const literal = this.literal.get(id)
      if (literal !== undefined) for (const b of encoder.encode(literal)) bytes.push(b)
      else for (const c of this.spec.tokens[id] as string) bytes.push(CHAR_TO_BYTE.get(c) as number)
    }
    return Buffer.from(bytes).toString('utf8')
  }

  tokenToString(id: number): string {
    checkId(id, this.vocabSize)
    return this.spec.tokens[id] as string
  }
}
