// GGUF vocabularies of both kinds through loadTokenizer: a "gpt2" one encodes like its tokenizer.json, a damaged "llama" one is refused.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ggufBytes as gguf, ggufStrings as strings } from '../../../test/helpers/gguf-bytes'
import { tempDir } from '../../../test/helpers/temp'
import { GgufType as T } from '../weights/gguf-reader'
import { trainByteLevelBpe } from './bpe-trainer'
import { loadHfTokenizerJson } from './hf-tokenizer-json'
import { loadTokenizer } from './tokenizer'

describe('GGUF vocabularies', () => {
  const tmp = tempDir('cpt-gguf-vocab-')
  afterAll(() => tmp.cleanup())

  it('a "gpt2" (byte-level) vocabulary encodes like the same vocabulary as tokenizer.json', async () => {
    const texts = ['The quick brown fox jumps over the lazy dog. ', '敏捷的棕色狐狸跳过了懒狗。', "It's 2024: don't panic!!! 🦊🦊"].map((t) => t.repeat(20))
    const json = await trainByteLevelBpe(texts, { vocabSize: 400 })
    expect(json.model.merges.length).toBeGreaterThan(60)
    const jsonFile = path.join(tmp.dir, 'tokenizer.json')
    writeFileSync(jsonFile, JSON.stringify(json))
    const tokens = Object.entries(json.model.vocab).sort((a, b) => a[1] - b[1]).map(([t]) => t)
    const file = path.join(tmp.dir, 'vocab.gguf')
    writeFileSync(
      file,
      gguf([
        ['general.architecture', T.STRING, 'llama'],
        ['llama.vocab_size', T.UINT32, tokens.length],
        ['tokenizer.ggml.model', T.STRING, 'gpt2'],
        ['tokenizer.ggml.pre', T.STRING, 'llama-bpe'],
        ['tokenizer.ggml.tokens', T.ARRAY, strings(tokens)],
        ['tokenizer.ggml.token_type', T.ARRAY, { itemType: T.INT32, items: tokens.map((_, id) => (id < 2 ? 3 : 1)) }],
        ['tokenizer.ggml.merges', T.ARRAY, strings(json.model.merges)],
        ['tokenizer.ggml.bos_token_id', T.UINT32, 0],
        ['tokenizer.ggml.eos_token_id', T.UINT32, 1],
      ]),
    )
    const fromGguf = await loadTokenizer(file)
    const fromJson = await loadHfTokenizerJson(jsonFile)
    expect([fromGguf.kind, fromGguf.vocabSize, fromGguf.bosId, fromGguf.eosId]).toEqual(['bpe', tokens.length, 0, 1])
    for (const t of [...texts, 'Quick! 狐狸 jumped   over\n\n the dogs 🦊', '</s> stays text']) {
      expect(fromGguf.encode(t)).toEqual(fromJson.encode(t))
      expect(fromGguf.decode(fromGguf.encode(t))).toBe(t)
    }
  })

  it('refuses a "llama" vocabulary whose scores do not match its tokens', async () => {
    const file = path.join(tmp.dir, 'mismatch.gguf')
    writeFileSync(
      file,
      gguf([
        ['tokenizer.ggml.model', T.STRING, 'llama'],
        ['tokenizer.ggml.tokens', T.ARRAY, strings(['<unk>', 'a', 'b'])],
        ['tokenizer.ggml.scores', T.ARRAY, { itemType: T.FLOAT32, items: [0, -1] }],
      ]),
    )
    await expect(loadTokenizer(file)).rejects.toThrow(/"tokenizer.ggml.scores" has 2 entries but there are 3 tokens/)
  })
})
