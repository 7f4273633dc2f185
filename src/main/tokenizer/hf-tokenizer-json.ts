// Loads a Hugging Face tokenizer.json with a BPE model: Llama 2 style (▁, byte fallback) or byte-level (GPT-2, Llama 3, ours).
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { AppError } from '../../shared/errors'
import type { AddedToken } from './added-tokens'
import { ByteLevelBpeTokenizer, checkByteLevelTokens, rankByMergeList } from './byte-level-bpe'
import { GPT2_PATTERN, LLAMA3_PATTERN, compilePattern, escapeRegExp } from './pretokenizer'
import { PieceType } from './sentencepiece-model'
import { META, SpmTokenizer } from './spm-tokenizer'
import type { Tokenizer } from './tokenizer'

const AddedTokenJson = z.object({ id: z.number().int().nonnegative(), content: z.string(), special: z.boolean().default(false) })

const ModelJson = z.object({
  type: z.string(),
  vocab: z.record(z.string(), z.number().int().nonnegative()),
  merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])),
  unk_token: z.string().nullish(),
  byte_fallback: z.boolean().nullish(),
  ignore_merges: z.boolean().nullish(),
  continuing_subword_prefix: z.string().nullish(),
  end_of_word_suffix: z.string().nullish(),
})

/** Normalizers, pre-tokenizers and post-processors are nested `{type, ...}` objects; each reader checks the ones it needs. */
const Component = z.looseObject({ type: z.string() })
type Component = z.infer<typeof Component>

const TokenizerJson = z.object({
  added_tokens: z.array(AddedTokenJson).default([]),
  normalizer: Component.nullish(),
  pre_tokenizer: Component.nullish(),
  post_processor: Component.nullish(),
  model: z.looseObject({ type: z.string().default('BPE') }),
})

const Prepend = z.object({ type: z.literal('Prepend'), prepend: z.literal(META) })
const Replace = z.object({ type: z.literal('Replace'), pattern: z.object({ String: z.literal(' ') }), content: z.literal(META) })
const Metaspace = z.object({
  type: z.literal('Metaspace'),
  replacement: z.literal(META),
  add_prefix_space: z.boolean().optional(),
  prepend_scheme: z.enum(['always', 'first', 'never']).optional(),
})
const Split = z.object({
  type: z.literal('Split'),
  pattern: z.union([z.object({ Regex: z.string() }), z.object({ String: z.string() })]),
  behavior: z.literal('Isolated'),
  invert: z.literal(false).default(false),
})
const ByteLevel = z.object({ type: z.literal('ByteLevel'), add_prefix_space: z.literal(false).default(false), use_regex: z.boolean().default(true) })
const Template = z.object({
  type: z.literal('TemplateProcessing'),
  single: z.array(z.unknown()),
  special_tokens: z.record(z.string(), z.object({ ids: z.array(z.number().int()) })).default({}),
})

type Family = { kind: 'spm'; addDummyPrefix: boolean } | { kind: 'bpe'; pattern: RegExp }

/** The steps of a component: its list when it is a Sequence, else itself. */
function children(c: Component | null | undefined, key: string, file: string): Component[] {
  if (!c) return []
  const list = c[key]
  if (c.type !== 'Sequence' || !Array.isArray(list)) return [c]
  return list.map((x, i) => {
    const step = Component.safeParse(x)
    if (!step.success) throw damaged(file, `step ${i} of a ${key} sequence has no "type"`)
    return step.data
  })
}

function describe(c: Component | null | undefined): string {
  return c ? JSON.stringify(c).slice(0, 200) : 'none'
}

/** Which of the two supported pipelines the normalizer and pre-tokenizer describe. */
function family(json: z.infer<typeof TokenizerJson>, file: string): Family {
  const norms = children(json.normalizer, 'normalizers', file)
  const pres = children(json.pre_tokenizer, 'pretokenizers', file)
  const unsupported = () =>
    new AppError(
      'unsupported',
      `${file}: this normalizer (${describe(json.normalizer)}) and pre-tokenizer (${describe(json.pre_tokenizer)}) are not supported; ` +
        'only Llama 2 style (Prepend/Replace ▁ or Metaspace) and byte-level (ByteLevel, optionally after a Split regex) BPE tokenizers are.',
    )
  const prepend = norms.some((n) => Prepend.safeParse(n).success)
  if (norms.length > 0 && norms.every((n) => Prepend.safeParse(n).success || Replace.safeParse(n).success) && pres.length === 0) {
    return { kind: 'spm', addDummyPrefix: prepend }
  }
  const meta = pres.length === 1 ? Metaspace.safeParse(pres[0]) : null
  if (meta?.success && norms.length === 0) {
    const scheme = meta.data.prepend_scheme ?? (meta.data.add_prefix_space === false ? 'never' : 'always')
    return { kind: 'spm', addDummyPrefix: scheme !== 'never' }
  }
  if (norms.length > 0) throw unsupported()
  const last = pres.length > 0 ? ByteLevel.safeParse(pres[pres.length - 1]) : null
  if (!last?.success) throw unsupported()
  if (pres.length === 1) {
    if (!last.data.use_regex) throw unsupported()
    return { kind: 'bpe', pattern: compilePattern(GPT2_PATTERN, file) }
  }
  const split = pres.length === 2 && !last.data.use_regex ? Split.safeParse(pres[0]) : null
  if (!split?.success) throw unsupported()
  const p = split.data.pattern
  return { kind: 'bpe', pattern: 'Regex' in p ? compilePattern(p.Regex, file) : new RegExp(escapeRegExp(p.String), 'gu') }
}

function damaged(file: string, problem: string, hint = ''): AppError {
  return new AppError('invalid_input', `${file}: ${problem}; the file looks damaged${hint} — download it again.`)
}

/** JSON.parse with a syntax error turned into a message with line and column. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    const message = (err as Error).message
    const pos = /position (\d+)/.exec(message)
    if (!pos && !/end of JSON input/.test(message)) throw new AppError('invalid_input', `${file} is not valid JSON (${message}); the file looks damaged — download it again.`)
    const at = pos ? Number(pos[1]) : text.length
    const before = text.slice(0, at)
    const line = before.split('\n').length
    const column = at - before.lastIndexOf('\n')
    const code = text.charCodeAt(at)
    const hint =
      code < 0x20
        ? ` (a raw control character U+${code.toString(16).toUpperCase().padStart(4, '0')} inside a string: a token with a literal line break or tab?)`
        : ''
    const what = message.replace(/ in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)/, '')
    throw new AppError('invalid_input', `${file} is not valid JSON: ${what} at line ${line}, column ${column}${hint}; the file looks damaged — download it again.`)
  }
}

/** Token strings by id: the model's vocabulary plus added tokens; ids must be unique, consistent and without gaps. */
function tokenTable(vocab: Record<string, number>, added: readonly AddedToken[], file: string): string[] {
  const tokens: string[] = []
  for (const [token, id] of Object.entries(vocab)) {
    const other = tokens[id]
    if (other !== undefined) throw damaged(file, `the vocabulary gives id ${id} to both ${JSON.stringify(other)} and ${JSON.stringify(token)}`)
    tokens[id] = token
  }
  for (const t of added) {
    const other = tokens[t.id]
    if (other !== undefined && other !== t.content) {
      throw damaged(file, `added token ${JSON.stringify(t.content)} has id ${t.id}, which the vocabulary gives to ${JSON.stringify(other)}`)
    }
    tokens[t.id] = t.content
  }
  for (let id = 0; id < tokens.length; id++) {
    if (tokens[id] === undefined) {
      throw damaged(file, `no token has id ${id} although ids go up to ${tokens.length - 1}`, ' (duplicate vocabulary keys that collapsed?)')
    }
  }
  return tokens
}

/** " (line N)" for the first line of `text` after the "merges" key that holds `merge` as written by JSON.stringify. */
function mergeLine(text: string, merge: unknown): string {
  const at = text.indexOf(JSON.stringify(merge), text.indexOf('"merges"'))
  return at < 0 ? '' : ` (line ${text.slice(0, at).split('\n').length})`
}

/** Merges as left → right → rank, each checked against the vocabulary. */
/** llama.cpp's pre-tokenizer names for the split patterns we know. */
const GGUF_PRE_NAMES: [string, string][] = [
  [LLAMA3_PATTERN, 'llama-bpe'],
  [GPT2_PATTERN, 'gpt-2'],
]

/** SentencePiece-style scores from a merge list: the piece made by merge r scores -(r + 1), so earlier merges win; others 0. */
function mergeScores(tokens: readonly string[], merges: ReadonlyMap<string, ReadonlyMap<string, number>>): Float32Array {
  const ids = new Map(tokens.map((t, i) => [t, i]))
  const scores = new Float32Array(tokens.length)
  for (const [a, row] of merges) {
    for (const [b, rank] of row) {
      const id = ids.get(a + b)
      if (id !== undefined && (scores[id] === 0 || -(rank + 1) > (scores[id] as number))) scores[id] = -(rank + 1)
    }
  }
  return scores
}

function mergeTable(merges: readonly (string | readonly [string, string])[], vocab: Record<string, number>, file: string, text: string): Map<string, Map<string, number>> {
  const table = new Map<string, Map<string, number>>()
  const has = (t: string) => Object.hasOwn(vocab, t)
  merges.forEach((m, rank) => {
    const parts = typeof m === 'string' ? m.split(' ') : m
    const shown = () => `merge #${rank} ${JSON.stringify(typeof m === 'string' ? m : m.join(' '))}${mergeLine(text, m)}`
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      const hint = typeof m === 'string' && m.includes('  ') ? ' (non-breaking spaces turned into spaces?)' : ''
      throw damaged(file, `${shown()} is not two tokens separated by one space`, hint)
    }
    const [a, b] = parts as [string, string]
    for (const t of [a, b, a + b]) {
      if (!has(t)) throw damaged(file, `${shown()} needs the token ${JSON.stringify(t)}, which is not in the vocabulary`, ' (spaces or non-breaking spaces changed?)')
    }
    let row = table.get(a)
    if (!row) table.set(a, (row = new Map()))
    if (!row.has(b)) row.set(b, rank)
  })
  return table
}

/** BOS from the post-processor's template (its first special token), else a conventional name; EOS by conventional name. */
function bosEos(json: z.infer<typeof TokenizerJson>, tokens: readonly string[], file: string): { bosId: number | null; eosId: number | null } {
  const idOf = (names: string[]) => {
    for (const n of names) {
      const id = tokens.indexOf(n)
      if (id >= 0) return id
    }
    return null
  }
  let bosId: number | null = null
  for (const p of children(json.post_processor, 'processors', file)) {
    const t = Template.safeParse(p)
    const first = t.success ? z.object({ SpecialToken: z.object({ id: z.string() }) }).safeParse(t.data.single[0]) : null
    if (t.success && first?.success) bosId = t.data.special_tokens[first.data.SpecialToken.id]?.ids[0] ?? null
  }
  return { bosId: bosId ?? idOf(['<s>', '<|begin_of_text|>', '<bos>']), eosId: idOf(['</s>', '<|end_of_text|>', '<|endoftext|>', '<eos>']) }
}

export async function loadHfTokenizerJson(file: string): Promise<Tokenizer> {
  const text = await fs.readFile(file, 'utf8')
  const raw = parseJson(text, file)
  const parsed = TokenizerJson.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new AppError('invalid_input', `${file} is not a tokenizer.json: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}.`)
  }
  const json = parsed.data
  if (json.model.type !== 'BPE') throw new AppError('unsupported', `${file} has a ${json.model.type} model; only BPE tokenizers are supported.`)
  const modelParsed = ModelJson.safeParse(json.model)
  if (!modelParsed.success) {
    const issue = modelParsed.error.issues[0]
    throw new AppError('invalid_input', `${file}: model.${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}; the file looks damaged — download it again.`)
  }
  const model = modelParsed.data
  if (model.continuing_subword_prefix || model.end_of_word_suffix) {
    throw new AppError('unsupported', `${file} uses subword prefixes or suffixes, which are not supported.`)
  }
  const fam = family(json, file)
  const added: AddedToken[] = json.added_tokens.map((t) => ({ id: t.id, content: t.content, special: t.special }))
  const tokens = tokenTable(model.vocab, added, file)
  const merges = mergeTable(model.merges, model.vocab, file, text)
  const { bosId, eosId } = bosEos(json, tokens, file)
  const name = path.basename(file)
  if (fam.kind === 'bpe') {
    checkByteLevelTokens(tokens, added, file)
    const pre = GGUF_PRE_NAMES.find(([pattern]) => compilePattern(pattern, file).source === fam.pattern.source)?.[1]
    const gguf = pre ? { merges: model.merges.map((m) => (typeof m === 'string' ? m : m.join(' '))), pre } : null
    return new ByteLevelBpeTokenizer({ name, tokens, added, rank: rankByMergeList(merges), gguf, ignoreMerges: model.ignore_merges ?? false, pretokenizer: fam.pattern, bosId, eosId })
  }
  const byAdded = new Map(added.map((t) => [t.id, t]))
  const types = Uint8Array.from(tokens, (t, id) => {
    const a = byAdded.get(id)
    if (t === model.unk_token) return PieceType.UNKNOWN
    if (a) return a.special ? PieceType.CONTROL : PieceType.USER_DEFINED
    return model.byte_fallback && /^<0x[0-9A-F]{2}>$/.test(t) ? PieceType.BYTE : PieceType.NORMAL
  })
  const unkId = model.unk_token ? tokens.indexOf(model.unk_token) : -1
  return new SpmTokenizer({ name, pieces: tokens, types, scores: mergeScores(tokens, merges), rank: rankByMergeList(merges), unkId: unkId >= 0 ? unkId : null, bosId, eosId, addDummyPrefix: fam.addDummyPrefix })
}
