// Trains a byte-level BPE vocabulary (Llama 3 pre-tokenizer) on texts and writes it as a Hugging Face tokenizer.json.
import { AppError } from '../../shared/errors'
import { writeJsonAtomic } from '../util/atomic-write'
import { BYTE_TO_CHAR } from './byte-level'
import { LexHeap } from './lex-heap'
import { LLAMA3_PATTERN, compilePattern, splitIsolated } from './pretokenizer'

export interface BpeTrainOptions {
  /** Total tokens: special tokens + 256 bytes + merges. Training stops earlier when no pair is left to merge. */
  vocabSize: number
  /**
   * Special tokens, ids 0, 1, ... in this order; the first is BOS (the post-processor adds it), the second EOS.
   * Default `['<s>', '</s>']`: `<s>` = 0, `</s>` = 1, then byte b at id 2 + b. The loader finds EOS by name
   * (`</s>`, `<|end_of_text|>`, `<|endoftext|>`, `<eos>`), so keep one of those names second.
   */
  specialTokens?: readonly string[]
}

interface AddedTokenEntry {
  id: number
  content: string
  single_word: false
  lstrip: false
  rstrip: false
  normalized: false
  special: true
}

/** The subset of a Hugging Face tokenizer.json that the trainer writes. */
export interface HfTokenizerJson {
  version: '1.0'
  truncation: null
  padding: null
  added_tokens: AddedTokenEntry[]
  normalizer: null
  pre_tokenizer: {
    type: 'Sequence'
    pretokenizers: [
      { type: 'Split'; pattern: { Regex: string }; behavior: 'Isolated'; invert: false },
      { type: 'ByteLevel'; add_prefix_space: false; trim_offsets: true; use_regex: false },
    ]
  }
  post_processor: {
    type: 'TemplateProcessing'
    single: unknown[]
    pair: unknown[]
    special_tokens: Record<string, { id: string; ids: number[]; tokens: string[] }>
  } | null
  decoder: { type: 'ByteLevel'; add_prefix_space: true; trim_offsets: true; use_regex: true }
  model: {
    type: 'BPE'
    dropout: null
    unk_token: null
    continuing_subword_prefix: null
    end_of_word_suffix: null
    fuse_unk: false
    byte_fallback: false
    ignore_merges: false
    vocab: Record<string, number>
    merges: string[]
  }
}

const DEFAULT_SPECIALS = ['<s>', '</s>']
const KEY = 1 << 20

/** Pair counts over a word-frequency table, with an index from pair to the words that (may) hold it. */
class PairIndex {
  readonly counts = new Map<number, number>()
  readonly where = new Map<number, number[]>()
  /** Pairs whose count went up since the last `drainRaised`. */
  private raised = new Set<number>()

  add(a: number, b: number, delta: number, word: number): void {
    const key = a * KEY + b
    this.counts.set(key, (this.counts.get(key) ?? 0) + delta)
    if (delta <= 0) return
    this.raised.add(key)
    const list = this.where.get(key)
    if (!list) this.where.set(key, [word])
    else if (list[list.length - 1] !== word) list.push(word)
  }

  drainRaised(): Set<number> {
    const out = this.raised
    this.raised = new Set()
    return out
  }
}

const encoder = new TextEncoder()

/** Counts Llama 3 pre-tokens over all texts. */
async function countWords(texts: Iterable<string> | AsyncIterable<string>): Promise<Map<string, number>> {
  const re = compilePattern(LLAMA3_PATTERN, 'the trainer')
  const counts = new Map<string, number>()
  for await (const text of texts) {
    for (const piece of splitIsolated(text, re)) counts.set(piece, (counts.get(piece) ?? 0) + 1)
  }
  return counts
}

/**
 * Trains byte-level BPE: starts from the 256 bytes and repeatedly merges the most frequent adjacent pair
 * (ties: the pair of lower ids), updating pair counts incrementally in the words that hold the pair.
 */
export async function trainByteLevelBpe(texts: Iterable<string> | AsyncIterable<string>, opts: BpeTrainOptions): Promise<HfTokenizerJson> {
  const specials = opts.specialTokens ?? DEFAULT_SPECIALS
  if (new Set(specials).size !== specials.length || specials.some((s) => s === '' || BYTE_TO_CHAR.includes(s))) {
    throw new AppError('invalid_input', 'Special tokens must be distinct, non-empty, and not a single byte character.')
  }
  const base = specials.length + 256
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < base || opts.vocabSize >= KEY) {
    throw new AppError('invalid_input', `The vocabulary size must be a whole number from ${base} (special tokens + 256 bytes) to ${KEY - 1}.`)
  }
  const wordCounts = await countWords(texts)
  const words: Int32Array[] = []
  const freqs: number[] = []
  for (const [w, n] of wordCounts) {
    words.push(Int32Array.from(encoder.encode(w)))
    freqs.push(n)
  }
  wordCounts.clear()

  // Symbol ids during training: byte b is b, merged symbols count up from 256; ids in the file add specials.length.
  const strings: string[] = [...BYTE_TO_CHAR]
  const idOf = new Map(strings.map((s, i) => [s, i]))
  const specialSet = new Set(specials)
  const merges: string[] = []
  const index = new PairIndex()
  words.forEach((w, i) => {
    for (let j = 0; j + 1 < w.length; j++) index.add(w[j] as number, w[j + 1] as number, freqs[i] as number, i)
  })
  // Entries (-count, key): the most frequent pair first, ties to the smaller key. Stale entries are checked on pop.
  const heap = new LexHeap()
  for (const key of index.drainRaised()) heap.push(-(index.counts.get(key) as number), key)
  const seen = new Int32Array(words.length).fill(-1)
  const banned = new Set<number>()

  while (strings.length + specials.length < opts.vocabSize && heap.length > 0) {
    const [negCount, key] = heap.pop()
    const count = -negCount
    const current = index.counts.get(key) ?? 0
    if (current !== count || banned.has(key)) {
      if (current > 0 && !banned.has(key)) heap.push(-current, key)
      continue
    }
    if (count <= 0) break
    const a = Math.floor(key / KEY)
    const b = key % KEY
    const text = (strings[a] as string) + (strings[b] as string)
    if (specialSet.has(text)) {
      banned.add(key)
      continue
    }
    let c = idOf.get(text)
    if (c === undefined) {
      c = strings.length
      strings.push(text)
      idOf.set(text, c)
    }
    merges.push(`${strings[a]} ${strings[b]}`)
    for (const w of index.where.get(key) ?? []) {
      if (seen[w] === merges.length) continue
      seen[w] = merges.length
      words[w] = mergeWord(words[w] as Int32Array, a, b, c, freqs[w] as number, w, index)
    }
    // Every occurrence is merged now: the pair cannot come back, since symbols only ever join.
    index.where.delete(key)
    index.counts.delete(key)
    for (const k of index.drainRaised()) {
      const n = index.counts.get(k) ?? 0
      if (n > 0 && k !== key) heap.push(-n, k)
    }
  }
  return tokenizerJson(specials, strings, merges)
}

/** Replaces every (a, b) in `word` by c from left to right, moving the counts of the neighbouring pairs. */
function mergeWord(word: Int32Array, a: number, b: number, c: number, freq: number, w: number, index: PairIndex): Int32Array {
  const out: number[] = []
  let found = false
  for (let i = 0; i < word.length; ) {
    if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
      found = true
      const prev = out[out.length - 1]
      if (prev !== undefined) {
        index.add(prev, a, -freq, w)
        index.add(prev, c, freq, w)
      }
      const next = word[i + 2]
      if (next !== undefined) {
        index.add(b, next, -freq, w)
        index.add(c, next, freq, w)
      }
      out.push(c)
      i += 2
    } else out.push(word[i++] as number)
  }
  return found ? Int32Array.from(out) : word
}

function tokenizerJson(specials: readonly string[], strings: readonly string[], merges: string[]): HfTokenizerJson {
  const vocab: Record<string, number> = Object.fromEntries([...specials, ...strings].map((s, i) => [s, i]))
  const bos = specials[0]
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: LLAMA3_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor:
      bos === undefined
        ? null
        : {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
            pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
            special_tokens: { [bos]: { id: bos, ids: [0], tokens: [bos] } },
          },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  }
}

/** Writes a trained tokenizer.json atomically. */
export async function saveTokenizerJson(json: HfTokenizerJson, file: string): Promise<void> {
  await writeJsonAtomic(file, json)
}
