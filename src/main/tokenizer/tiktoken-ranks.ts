// Loads a tiktoken ranks file (Llama 3 `tokenizer.model`: "base64-token rank" lines) with Llama 3's special tokens after the ranks.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { AppError } from '../../shared/errors'
import type { AddedToken } from './added-tokens'
import { bytesToByteLevel } from './byte-level'
import { ByteLevelBpeTokenizer, rankByTokenId } from './byte-level-bpe'
import { LLAMA3_PATTERN, compilePattern } from './pretokenizer'

/** Llama 3 reserves this many special tokens after its 128,000 ranks (vocab_size 128,256 in params.json). */
const LLAMA3_RANKS = 128_000
const LLAMA3_SPECIALS = 256

/** Llama 3's special token names: ten named ones, the rest `<|reserved_special_token_N|>` (Meta's tokenizer.py). */
function llama3SpecialNames(count: number): string[] {
  const named = [
    '<|begin_of_text|>',
    '<|end_of_text|>',
    '<|reserved_special_token_0|>',
    '<|reserved_special_token_1|>',
    '<|reserved_special_token_2|>',
    '<|reserved_special_token_3|>',
    '<|start_header_id|>',
    '<|end_header_id|>',
    '<|reserved_special_token_4|>',
    '<|eot_id|>',
  ]
  return Array.from({ length: count }, (_, i) => named[i] ?? `<|reserved_special_token_${i - named.length + 5}|>`)
}

const Params = z.object({ vocab_size: z.number().int().positive() })

/** The number of special tokens: params.json's vocab_size beside the file minus the ranks, else 256 for Llama 3's 128,000 ranks. */
async function specialCount(file: string, ranks: number): Promise<number> {
  const paramsFile = path.join(path.dirname(file), 'params.json')
  let text: string
  try {
    text = await fs.readFile(paramsFile, 'utf8')
  } catch {
    return ranks === LLAMA3_RANKS ? LLAMA3_SPECIALS : 0
  }
  let parsed: z.infer<typeof Params>
  try {
    parsed = Params.parse(JSON.parse(text))
  } catch {
    throw new AppError('invalid_input', `${paramsFile} has no valid vocab_size; fix or remove it so ${path.basename(file)} can be read.`)
  }
  if (parsed.vocab_size < ranks) {
    throw new AppError('invalid_input', `${paramsFile} says vocab_size ${parsed.vocab_size}, fewer than the ${ranks} ranks in ${file}; the files do not belong together.`)
  }
  return parsed.vocab_size - ranks
}

const LINE = /^([A-Za-z0-9+/]+={0,2}) (\d+)$/

/** Parses the ranks; every line must be "base64 rank", ranks must be 0..n-1 and tokens unique. */
function parseRanks(text: string, file: string): string[] {
  const tokens: string[] = []
  const seen = new Map<string, number>()
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  const damaged = (line: number, problem: string) =>
    new AppError('invalid_input', `${file}, line ${line}: ${problem}. The tiktoken ranks file is damaged: download it again.`)
  lines.forEach((raw, i) => {
    const m = LINE.exec(raw.replace(/\r$/, ''))
    if (!m) throw damaged(i + 1, `expected "base64-token rank", found ${JSON.stringify(raw.slice(0, 60))}`)
    const rank = Number(m[2])
    if (rank !== i) throw damaged(i + 1, `rank ${rank} where ${i} was expected (ranks must count up from 0)`)
    const token = bytesToByteLevel(Buffer.from(m[1] as string, 'base64'))
    const before = seen.get(token)
    if (before !== undefined) throw damaged(i + 1, `the token of rank ${rank} repeats rank ${before}`)
    seen.set(token, rank)
    tokens.push(token)
  })
  if (tokens.length < 256) throw damaged(lines.length, `only ${tokens.length} ranks, fewer than the 256 single bytes`)
  return tokens
}

export async function loadTiktoken(file: string): Promise<ByteLevelBpeTokenizer> {
  const tokens = parseRanks(await fs.readFile(file, 'utf8'), file)
  const ranks = tokens.length
  const vocab = new Map(tokens.map((t, i) => [t, i]))
  const added: AddedToken[] = llama3SpecialNames(await specialCount(file, ranks)).map((content, i) => ({ id: ranks + i, content, special: true }))
  return new ByteLevelBpeTokenizer({
    name: path.basename(file),
    tokens: [...tokens, ...added.map((t) => t.content)],
    added,
    rank: rankByTokenId(vocab),
    gguf: null,
    ignoreMerges: true,
    pretokenizer: compilePattern(LLAMA3_PATTERN, file),
    bosId: added.length > 0 ? ranks : null,
    eosId: added.length > 1 ? ranks + 1 : null,
  })
}
