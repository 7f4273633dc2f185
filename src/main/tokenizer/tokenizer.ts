// The tokenizer interface every format implements, and `loadTokenizer`, which picks the reader by the file's content.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { AppError } from '../../shared/errors'
import type { GgufVocab } from '../weights/gguf'

export interface EncodeOptions {
  /** Put the BOS token first (default false). */
  bos?: boolean
  /**
   * Recognise special (control) tokens such as `<s>` or `<|begin_of_text|>` written in the text (default
   * false: they stay text, so a corpus cannot inject them). User-defined added tokens always match.
   */
  special?: boolean
}

export interface Tokenizer {
  /** SentencePiece-style BPE (Llama 2) or byte-level BPE (Llama 3 tiktoken, GPT-2 style, ours). */
  readonly kind: 'spm' | 'bpe'
  readonly name: string
  readonly vocabSize: number
  readonly bosId: number | null
  readonly eosId: number | null
  encode(text: string, opts?: EncodeOptions): number[]
  /** How many tokens encode(text) gives (no BOS, no special tokens), without making them. */
  count(text: string): number
  /** Text of the ids; special (control) tokens are left out, invalid UTF-8 becomes U+FFFD. */
  decode(ids: readonly number[]): string
  /** The vocabulary entry as stored (`▁the`, `Ġthe`, `<0x0A>`, `<s>`). */
  tokenToString(id: number): string
  /** The vocabulary as llama.cpp stores it in GGUF; `unsupported` when it cannot be written. */
  ggufVocab(): GgufVocab
}

/** Throws `invalid_input` unless `id` is a token id of a vocabulary of `size` tokens. */
export function checkId(id: number, size: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= size) throw new AppError('invalid_input', `Token id ${id} is outside the vocabulary (0 to ${size - 1}).`)
}

/** Prepends the BOS id when asked; throws when the tokenizer has none. */
export function withBos(bos: boolean | undefined, bosId: number | null, name: string): number[] {
  if (!bos) return []
  if (bosId === null) throw new AppError('unsupported', `${name} has no BOS token.`)
  return [bosId]
}

const DIRECTORY_CANDIDATES = ['tokenizer.json', 'tokenizer.model']

async function resolveFile(target: string): Promise<string> {
  let stat
  try {
    stat = await fs.stat(target)
  } catch {
    throw new AppError('not_found', `${target} does not exist.`)
  }
  if (!stat.isDirectory()) return target
  const names = await fs.readdir(target)
  const pick = DIRECTORY_CANDIDATES.find((n) => names.includes(n)) ?? names.filter((n) => n.endsWith('.gguf')).sort()[0]
  if (!pick) throw new AppError('not_found', `${target} holds no tokenizer.json, tokenizer.model or .gguf file.`)
  return path.join(target, pick)
}

const TIKTOKEN_LINE = /^[A-Za-z0-9+/]+={0,2} \d+\r?$/

/**
 * Loads a tokenizer from a Hugging Face tokenizer.json, a SentencePiece tokenizer.model, a tiktoken ranks file
 * (Llama 3 tokenizer.model), a GGUF file's vocabulary, or a folder holding one (tokenizer.json first).
 */
export async function loadTokenizer(target: string): Promise<Tokenizer> {
  const file = await resolveFile(target)
  const fh = await fs.open(file, 'r')
  const head = Buffer.alloc(256)
  let length: number
  try {
    length = (await fh.read(head, 0, head.length, 0)).bytesRead
  } finally {
    await fh.close()
  }
  if (length === 0) throw new AppError('invalid_input', `${file} is empty: download the tokenizer again.`)
  if (head.subarray(0, 4).toString('latin1') === 'GGUF') return (await import('./gguf-vocab')).loadGgufVocab(file)
  const start = head.subarray(0, length).toString('utf8').replace(/^\uFEFF?\s*/, '')
  if (start.startsWith('{')) return (await import('./hf-tokenizer-json')).loadHfTokenizerJson(file)
  if (TIKTOKEN_LINE.test(start.split('\n')[0] ?? '')) return (await import('./tiktoken-ranks')).loadTiktoken(file)
  if (head[0] === 0x0a) return (await import('./spm-tokenizer')).loadSentencePiece(file)
  throw new AppError(
    'invalid_input',
    `${file} is not a tokenizer file this app can read: expected a tokenizer.json, a SentencePiece or tiktoken tokenizer.model, or a GGUF file.`,
  )
}
