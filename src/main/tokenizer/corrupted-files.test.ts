// Damaged tokenizer files are refused with a message naming the file, the problem and what to do: real damaged copies and made-up damage.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../test/helpers/shared-data'
import { tempDir } from '../../../test/helpers/temp'
import { loadTokenizer } from './tokenizer'

const TOKENIZERS = path.join(SHARED_DATA, 'tokenizers')
const CORRUPTED = path.join(TOKENIZERS, '_corrupted_copies')

async function refusal(file: string): Promise<AppError> {
  const err: unknown = await loadTokenizer(file).then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AppError)
  const appErr = err as AppError
  expect(appErr.code).toBe('invalid_input')
  expect(appErr.message).toContain(file)
  return appErr
}

describe.skipIf(!HAS_SHARED_DATA)('real damaged copies', () => {
  it('refuses the tokenizer.json whose non-breaking spaces became spaces, naming the broken merge', async () => {
    const { message } = await refusal(path.join(CORRUPTED, 'Pollmoriy-CRM_bot', 'tokenizer.json'))
    expect(message).toMatch(/merge #18917 " {3}" \(line 51057\) is not two tokens separated by one space/)
    expect(message).toMatch(/non-breaking spaces/)
    expect(message).toMatch(/download it again/)
  })

  it('refuses the tokenizer.json with a raw newline inside a token, giving line and column', async () => {
    const { message } = await refusal(path.join(CORRUPTED, 'jhong03-AI-Based_Noise-Aware_Productivity_Coach', 'tokenizer.json'))
    expect(message).toMatch(/is not valid JSON: .* at line 31491, column 8/)
    expect(message).toMatch(/U\+000A/)
    expect(message).toMatch(/download it again/)
  })

  it('refuses the GGUF whose non-UTF-8 bytes were replaced by U+FFFD', async () => {
    const { message } = await refusal(path.join(CORRUPTED, 'uShure-llama-jni-bridge', 'ggml-vocab-llama-spm.gguf'))
    expect(message).toMatch(/damaged GGUF file: key #9 claims a length of \d+ bytes/)
    expect(message).toMatch(/65205 U\+FFFD replacement sequences/)
    expect(message).toMatch(/Download it again/)
  })
})

describe.skipIf(!HAS_SHARED_DATA)('made-up damage', () => {
  const tmp = tempDir('cpt-tok-damage-')
  afterAll(() => tmp.cleanup())
  const dolma = HAS_SHARED_DATA ? readFileSync(path.join(TOKENIZERS, 'llama2-hf-json-dolma', 'llama-test-tokenizer.json'), 'utf8') : ''
  const write = (name: string, data: string | Uint8Array) => {
    const file = path.join(tmp.dir, name)
    writeFileSync(file, data)
    return file
  }

  it('a truncated SentencePiece model', async () => {
    const model = readFileSync(path.join(TOKENIZERS, 'llama2', 'tokenizer.model'))
    const { message } = await refusal(write('truncated.model', model.subarray(0, 200_000)))
    expect(message).toMatch(/damaged SentencePiece model: .*runs past the end/)
  })

  it('a tokenizer.json cut short', async () => {
    const { message } = await refusal(write('cut.json', dolma.slice(0, 5000)))
    expect(message).toMatch(/is not valid JSON: .* at line \d+, column \d+/)
  })

  it('a tokenizer.json whose vocabulary lost an entry to a duplicate key', async () => {
    const { message } = await refusal(write('dup.json', dolma.replace('"▁t": 260', '"▁a": 260')))
    expect(message).toMatch(/no token has id 260 although ids go up to 32002; .*duplicate vocabulary keys/)
  })

  it('a tokenizer.json with a merge of a token that is not in the vocabulary', async () => {
    const { message } = await refusal(write('merge.json', dolma.replace('"▁ t",', '"▁ ☃",')))
    expect(message).toMatch(/merge #0 "▁ ☃" \(line \d+\) needs the token "☃", which is not in the vocabulary/)
  })

  it('a tokenizer.json whose added token contradicts the vocabulary', async () => {
    const { message } = await refusal(write('added.json', dolma.replace('"id": 1,\n      "content": "<s>"', '"id": 1,\n      "content": "<S>"')))
    expect(message).toMatch(/added token "<S>" has id 1, which the vocabulary gives to "<s>"/)
  })

  it('a tiktoken ranks file with a garbled line', async () => {
    const ranks = readFileSync(path.join(TOKENIZERS, 'llama3', 'tokenizer.model'), 'utf8').split('\n')
    ranks[1000] = 'dGhl 1000 extra'
    const { message } = await refusal(write('tokenizer.model', ranks.join('\n')))
    expect(message).toMatch(/line 1001: expected "base64-token rank"/)
  })

  it('a GGUF copied only in part', async () => {
    const file = path.join(tmp.dir, 'part.gguf')
    copyFileSync(path.join(TOKENIZERS, 'llama-spm-gguf', 'ggml-vocab-llama-spm.gguf'), file)
    writeFileSync(file, readFileSync(file).subarray(0, 400_000))
    const { message } = await refusal(file)
    expect(message).toMatch(/damaged GGUF file: .*(needs|is) \d+ .*(bytes|file)/)
    expect(message).toMatch(/truncated or damaged/)
  })
})

describe('paths that hold no tokenizer', () => {
  const tmp = tempDir('cpt-tok-none-')
  afterAll(() => tmp.cleanup())

  it('a missing path, an empty folder, an empty file and some other file', async () => {
    await expect(loadTokenizer(path.join(tmp.dir, 'nope'))).rejects.toMatchObject({ code: 'not_found' })
    await expect(loadTokenizer(tmp.dir)).rejects.toThrow(/holds no tokenizer.json, tokenizer.model or .gguf file/)
    writeFileSync(path.join(tmp.dir, 'empty.model'), '')
    await expect(loadTokenizer(path.join(tmp.dir, 'empty.model'))).rejects.toThrow(/is empty/)
    writeFileSync(path.join(tmp.dir, 'notes.txt'), 'hello\n')
    await expect(loadTokenizer(path.join(tmp.dir, 'notes.txt'))).rejects.toThrow(/is not a tokenizer file this app can read/)
    writeFileSync(path.join(tmp.dir, 'config.json'), '{"model_type": "llama"}')
    await expect(loadTokenizer(path.join(tmp.dir, 'config.json'))).rejects.toThrow(/config.json is not a tokenizer.json: model/)
  })
})
