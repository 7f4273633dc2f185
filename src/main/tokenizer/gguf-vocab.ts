// Loads the tokenizer stored in a GGUF file's metadata: "llama" (SentencePiece scores) or "gpt2" (byte-level merges).
import path from 'node:path'
import { AppError } from '../../shared/errors'
import { type GgufMetadata, ggufBoolean, ggufInteger, ggufNumberArray, ggufString, ggufStringArray, readGgufHeader } from '../weights/gguf-reader'
import type { AddedToken } from './added-tokens'
import { ByteLevelBpeTokenizer, checkByteLevelTokens, rankByMergeList } from './byte-level-bpe'
import { GPT2_PATTERN, LLAMA3_PATTERN, compilePattern } from './pretokenizer'
import { PieceType } from './sentencepiece-model'
import { SpmTokenizer, mergeablePieces, rankByScore, specialId } from './spm-tokenizer'
import type { Tokenizer } from './tokenizer'

/** llama.cpp's `tokenizer.ggml.pre` names whose split is one regex we have. */
const PRE_PATTERNS: Record<string, { pattern: string; ignoreMerges: boolean }> = {
  'llama-bpe': { pattern: LLAMA3_PATTERN, ignoreMerges: true },
  llama3: { pattern: LLAMA3_PATTERN, ignoreMerges: true },
  'gpt-2': { pattern: GPT2_PATTERN, ignoreMerges: false },
}

function damaged(meta: GgufMetadata, problem: string): AppError {
  return new AppError('invalid_input', `${meta.file}: ${problem}; the GGUF file is damaged or was converted wrongly — download or convert it again.`)
}

function required<T extends { length: number }>(meta: GgufMetadata, key: string, value: T | undefined, count: number): T {
  if (value === undefined) throw damaged(meta, `the metadata key "${key}" is missing`)
  if (value.length !== count) throw damaged(meta, `"${key}" has ${value.length} entries but there are ${count} tokens`)
  return value
}

/** Token types as SentencePiece piece types (llama.cpp uses the same numbers; 0, "undefined", counts as normal). */
function tokenTypes(meta: GgufMetadata, count: number): Uint8Array {
  const raw = ggufNumberArray(meta, 'tokenizer.ggml.token_type')
  if (raw === undefined) return new Uint8Array(count).fill(PieceType.NORMAL)
  required(meta, 'tokenizer.ggml.token_type', raw, count)
  return Uint8Array.from(raw, (t, id) => {
    if (t === 0) return PieceType.NORMAL
    if (!Number.isInteger(t) || t < PieceType.NORMAL || t > PieceType.BYTE) throw damaged(meta, `token ${id} has an unknown type ${t}`)
    return t
  })
}

export async function loadGgufVocab(file: string): Promise<Tokenizer> {
  const meta = await readGgufHeader(file)
  const model = ggufString(meta, 'tokenizer.ggml.model')
  if (model === undefined) throw new AppError('invalid_input', `${file} holds no tokenizer (no "tokenizer.ggml.model" key).`)
  const tokens = ggufStringArray(meta, 'tokenizer.ggml.tokens')
  if (tokens === undefined || tokens.length === 0) throw damaged(meta, 'the token list "tokenizer.ggml.tokens" is missing or empty')
  const arch = ggufString(meta, 'general.architecture')
  const declared = arch === undefined ? undefined : ggufInteger(meta, `${arch}.vocab_size`)
  if (declared !== undefined && declared !== tokens.length) throw damaged(meta, `"${arch}.vocab_size" says ${declared} tokens but the token list has ${tokens.length}`)
  const count = tokens.length
  const types = tokenTypes(meta, count)
  const special = (key: string, what: string) => specialId(ggufInteger(meta, `tokenizer.ggml.${key}`), count, file, what)
  const name = path.basename(file)
  if (model === 'llama') {
    const scores = required(meta, 'tokenizer.ggml.scores', ggufNumberArray(meta, 'tokenizer.ggml.scores'), count)
    return new SpmTokenizer({
      name,
      pieces: tokens,
      types,
      scores,
      rank: rankByScore(mergeablePieces(tokens, types), scores),
      unkId: special('unknown_token_id', 'unknown-token'),
      bosId: special('bos_token_id', 'BOS'),
      eosId: special('eos_token_id', 'EOS'),
      addDummyPrefix: ggufBoolean(meta, 'tokenizer.ggml.add_space_prefix') ?? true,
    })
  }
  if (model !== 'gpt2') throw new AppError('unsupported', `${file} has a "${model}" tokenizer; only "llama" (SentencePiece) and "gpt2" (byte-level BPE) are supported.`)
  const pre = ggufString(meta, 'tokenizer.ggml.pre') ?? 'gpt-2'
  const split = PRE_PATTERNS[pre]
  if (!split) throw new AppError('unsupported', `${file} uses the "${pre}" pre-tokenizer; supported: ${Object.keys(PRE_PATTERNS).join(', ')}.`)
  const added: AddedToken[] = []
  types.forEach((t, id) => {
    if (t === PieceType.CONTROL || t === PieceType.UNKNOWN || t === PieceType.USER_DEFINED) {
      added.push({ id, content: tokens[id] as string, special: t !== PieceType.USER_DEFINED })
    }
  })
  checkByteLevelTokens(tokens, added, file)
  const ids = new Map<string, number>()
  tokens.forEach((t, id) => ids.set(t, ids.get(t) ?? id))
  const merges = new Map<string, Map<string, number>>()
  const list = ggufStringArray(meta, 'tokenizer.ggml.merges')
  if (list === undefined) throw damaged(meta, 'the merge list "tokenizer.ggml.merges" is missing')
  list.forEach((m, rank) => {
    const parts = m.split(' ')
    const [a, b] = parts as [string, string]
    if (parts.length !== 2 || !ids.has(a) || !ids.has(b) || !ids.has(a + b)) throw damaged(meta, `merge #${rank} ${JSON.stringify(m)} is not two tokens of the vocabulary that join into a third`)
    let row = merges.get(a)
    if (!row) merges.set(a, (row = new Map()))
    if (!row.has(b)) row.set(b, rank)
  })
  return new ByteLevelBpeTokenizer({
    name,
    tokens,
    added,
    rank: rankByMergeList(merges),
    gguf: { merges: list, pre },
    ignoreMerges: split.ignoreMerges,
    pretokenizer: compilePattern(split.pattern, file),
    bosId: special('bos_token_id', 'BOS'),
    eosId: special('eos_token_id', 'EOS'),
  })
}
