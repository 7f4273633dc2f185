// Parity with llama.cpp's reference tokenizations: 46 strings through Llama 2 (SentencePiece, tokenizer.json, GGUF) and Llama 3.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../test/helpers/shared-data'
import { type Tokenizer, loadTokenizer } from './tokenizer'

const TOKENIZERS = path.join(SHARED_DATA, 'tokenizers')

/** llama.cpp's test-tokenizer-0 format: inputs separated by a marker line; one line of ids (no BOS) per input. */
function referenceCases(base: string): { text: string; ids: number[] }[] {
  const inputs = readFileSync(`${base}.inp`, 'utf8').split('\n__ggml_vocab_test__\n')
  expect(inputs.pop()).toBe('')
  const lines = readFileSync(`${base}.out`, 'utf8').split('\n')
  return inputs.map((text, i) => {
    const line = (lines[i] as string).trim()
    return { text, ids: line === '' ? [] : line.split(' ').map(Number) }
  })
}

const SUITES = [
  { name: 'Llama 2 SentencePiece tokenizer.model', file: 'llama2/tokenizer.model', ref: 'llama-spm-gguf/ggml-vocab-llama-spm.gguf', kind: 'spm', bos: 1, eos: 2 },
  { name: 'Llama 2 tokenizer.json (Dolma)', file: 'llama2-hf-json-dolma/llama-test-tokenizer.json', ref: 'llama-spm-gguf/ggml-vocab-llama-spm.gguf', kind: 'spm', bos: 1, eos: 2 },
  { name: 'Llama 2 GGUF vocab', file: 'llama-spm-gguf/ggml-vocab-llama-spm.gguf', ref: 'llama-spm-gguf/ggml-vocab-llama-spm.gguf', kind: 'spm', bos: 1, eos: 2 },
  { name: 'Llama 3 tiktoken tokenizer.model', file: 'llama3/tokenizer.model', ref: 'llama3-bpe-ref/ggml-vocab-llama-bpe.gguf', kind: 'bpe', bos: 128000, eos: 128001 },
] as const

describe.skipIf(!HAS_SHARED_DATA).each(SUITES)('$name', ({ file, ref, kind, bos, eos }) => {
  let tok: Tokenizer
  const cases = HAS_SHARED_DATA ? referenceCases(path.join(TOKENIZERS, ref)) : []

  beforeAll(async () => {
    tok = await loadTokenizer(path.join(TOKENIZERS, file))
  })

  it('has the expected kind and special ids', () => {
    expect(tok.kind).toBe(kind)
    expect([tok.bosId, tok.eosId]).toEqual([bos, eos])
  })

  it('reproduces all 46 reference tokenizations', () => {
    expect(cases).toHaveLength(46)
    const failures = cases.filter((c) => JSON.stringify(tok.encode(c.text)) !== JSON.stringify(c.ids))
    expect(failures.map((c) => ({ text: c.text, got: tok.encode(c.text), want: c.ids }))).toEqual([])
  })

  it('counts exactly the tokens it encodes, with its word cache cold and warm', () => {
    const more = ['a\u2581b  c', '\u2581\u2581x y', `${'x'.repeat(100)} y`, '继续预训练的语言模型 与 tokenizer', '   ']
    for (const pass of [1, 2]) {
      expect(cases.map((c) => tok.count(c.text)), `pass ${pass}`).toEqual(cases.map((c) => c.ids.length))
      expect(more.map((t) => tok.count(t)), `pass ${pass}`).toEqual(more.map((t) => tok.encode(t).length))
    }
  })

  it('decodes every reference tokenization back to its text', () => {
    for (const c of cases) expect(tok.decode(c.ids)).toBe(c.text)
  })

  it('puts BOS first only when asked, and keeps special tokens written in the text as text unless asked', () => {
    expect(tok.encode('Hello', { bos: true })).toEqual([bos, ...tok.encode('Hello')])
    const special = tok.tokenToString(bos)
    expect(tok.encode(special)).not.toContain(bos)
    expect(tok.encode(special, { special: true })).toContain(bos)
    expect(tok.decode([bos, ...tok.encode('Hello')])).toBe('Hello')
  })
})

describe.skipIf(!HAS_SHARED_DATA)('loading by folder and by model file', () => {
  it('finds tokenizer.model in a model folder and the vocabulary inside a model GGUF', async () => {
    const tiny = await loadTokenizer(path.join(TOKENIZERS, 'tinyllama-1.1b-chat-v1.0'))
    const gguf = await loadTokenizer(path.join(SHARED_DATA, 'models', 'llama-2-tiny-random-gguf'))
    expect(tiny.encode(' Hello, world!')).toEqual([29871, 15043, 29892, 3186, 29991])
    expect(gguf.encode(' Hello, world!')).toEqual([29871, 15043, 29892, 3186, 29991])
  })

  it('recognises the Dolma file\'s user-defined added tokens in text', async () => {
    const tok = await loadTokenizer(path.join(TOKENIZERS, 'llama2-hf-json-dolma', 'llama-test-tokenizer.json'))
    expect(tok.vocabSize).toBe(32003)
    const ids = tok.encode('mail |||EMAIL_ADDRESS||| now')
    expect(ids).toContain(32000)
    expect(tok.decode(ids)).toBe('mail |||EMAIL_ADDRESS||| now')
  })
})
