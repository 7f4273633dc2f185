// GGUF: llama.cpp names, layout and q/k permutation on write, the inverse on read, and refusals.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { expectSameFloats, expectSameTensors, rejection } from '../../../test/helpers/assertions'
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../test/helpers/shared-data'
import { tempDir } from '../../../test/helpers/temp'
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './float16'
import { loadTokenizer } from '../tokenizer/tokenizer'
import { ggufToHfName, hfToGgufName, permuteQkForGguf, readGguf, unpermuteQkFromGguf, writeGguf, type GgufVocab } from './gguf'
import { readGgufHeader } from './gguf-reader'
import { presetConfig, tensorShapes } from './llama-config'
import { randomLlamaWeights, tinySpmVocab } from './random-weights'

const tmp = tempDir('cpt-gguf-')
afterAll(() => tmp.cleanup())
const file = (name: string) => path.join(tmp.dir, name)

const vocab = tinySpmVocab(['▁', 'e', 'l', 'o', 'h', 'w', 'r', 'd', 'll', 'he', 'llo', 'hello', '▁hello', 'or', 'wor', 'ld', 'world', '▁world'])
const cfg = presetConfig('debug', vocab.tokens.length)
const weights = randomLlamaWeights(cfg, 11)

/** The raw bytes a GGUF file holds for each tensor. */
async function rawTensors(f: string): Promise<Map<string, Buffer>> {
  const header = await readGgufHeader(f)
  const bytes = readFileSync(f)
  return new Map(header.tensors.map((t) => [t.name, bytes.subarray(t.offset, t.offset + t.dims.reduce((a, b) => a * b, 1) * (t.typeName === 'F32' ? 4 : 2))]))
}

const bytesOf = (a: Float32Array | Uint16Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)

describe('GGUF names and the q/k permutation', () => {
  it('maps every HF tensor to its llama.cpp name and back', () => {
    for (const name of tensorShapes(cfg).keys()) expect(ggufToHfName(hfToGgufName(name)!)).toBe(name)
    expect(hfToGgufName('model.layers.3.self_attn.o_proj.weight')).toBe('blk.3.attn_output.weight')
    expect(hfToGgufName('model.layers.0.post_attention_layernorm.weight')).toBe('blk.0.ffn_norm.weight')
    expect(hfToGgufName('lm_head.weight')).toBe('output.weight')
    expect(hfToGgufName('model.layers.0.self_attn.q_proj.bias')).toBeUndefined()
    expect(ggufToHfName('rope_freqs.weight')).toBeUndefined()
  })

  it("matches convert_hf_to_gguf.py's reshape(n_head, 2, d/2, cols).swapaxes(1, 2) and undoes it", () => {
    expect([...permuteQkForGguf(Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7), 2, 1)]).toEqual([0, 2, 1, 3, 4, 6, 5, 7])
    const heads = 3
    const hd = 8
    const cols = 5
    const w = Float32Array.from({ length: heads * hd * cols }, (_, i) => i)
    // numpy semantics written out: out[h, j, s, c] = w[h, s, j, c], both flattened row-major
    const expected = new Float32Array(w.length)
    for (let h = 0; h < heads; h++)
      for (let j = 0; j < hd / 2; j++)
        for (let s = 0; s < 2; s++)
          for (let c = 0; c < cols; c++) expected[((h * (hd / 2) + j) * 2 + s) * cols + c] = w[((h * 2 + s) * (hd / 2) + j) * cols + c]!
    expect(permuteQkForGguf(w, heads, cols)).toEqual(expected)
    expect(unpermuteQkFromGguf(permuteQkForGguf(w, heads, cols), heads, cols)).toEqual(w)
  })
})

describe('GGUF write and read', () => {
  it('round-trips F32 exactly, with llama.cpp metadata, aligned tensors and permuted q/k in the file', async () => {
    const f = file('f32.gguf')
    await writeGguf(f, cfg, weights, { tokenizer: vocab, name: 'debug model' })
    const header = await readGgufHeader(f)
    expect(header.version).toBe(3)
    expect(header.tensors.length).toBe(21)
    const m = Object.fromEntries(header.kv)
    expect(m['general.architecture']).toBe('llama')
    expect(m['general.name']).toBe('debug model')
    expect(m['general.alignment']).toBe(32)
    expect(m['general.file_type']).toBe(0)
    expect(m['llama.context_length']).toBe(512)
    expect(m['llama.embedding_length']).toBe(64)
    expect(m['llama.block_count']).toBe(2)
    expect(m['llama.feed_forward_length']).toBe(176)
    expect(m['llama.rope.dimension_count']).toBe(16)
    expect(m['llama.attention.head_count']).toBe(4)
    expect(m['llama.attention.head_count_kv']).toBe(2)
    expect(m['llama.attention.layer_norm_rms_epsilon']).toBe(Math.fround(1e-5))
    expect(m['llama.rope.freq_base']).toBe(10000)
    expect(m['tokenizer.ggml.model']).toBe('llama')
    expect(m['tokenizer.ggml.unknown_token_id']).toBe(0)
    expect(header.dataStart % 32).toBe(0)
    for (const t of header.tensors) expect((t.offset - header.dataStart) % 32, t.name).toBe(0)
    const embd = header.tensors.find((t) => t.name === 'token_embd.weight')!
    expect(embd.dims).toEqual([64, vocab.tokens.length]) // fastest first
    expect(header.tensors.find((t) => t.name === 'blk.1.attn_k.weight')!.dims).toEqual([64, 32])

    const q = weights.get('model.layers.0.self_attn.q_proj.weight')!.data
    const k = weights.get('model.layers.1.self_attn.k_proj.weight')!.data
    const raw = await rawTensors(f)
    expect(raw.get('blk.0.attn_q.weight')).toEqual(bytesOf(permuteQkForGguf(q, 4, 64)))
    expect(raw.get('blk.1.attn_k.weight')).toEqual(bytesOf(permuteQkForGguf(k, 2, 64)))
    expect(raw.get('blk.1.attn_v.weight')).toEqual(bytesOf(weights.get('model.layers.1.self_attn.v_proj.weight')!.data))

    const back = await readGguf(f)
    expect(back.config).toEqual(cfg)
    expect((await loadTokenizer(f)).ggufVocab()).toEqual(vocab)
    expectSameTensors(weights, back.tensors)
  })

  it('writes F16 matrices and F32 norms, and reads them back within f16 rounding', async () => {
    const f = file('f16.gguf')
    await writeGguf(f, cfg, weights, { dtype: 'F16', tokenizer: vocab })
    const header = await readGgufHeader(f)
    expect(header.kv.get('general.file_type')).toBe(1)
    for (const t of header.tensors) expect(t.typeName, t.name).toBe(t.dims.length === 1 ? 'F32' : 'F16')
    const q = weights.get('model.layers.1.self_attn.q_proj.weight')!.data
    expect((await rawTensors(f)).get('blk.1.attn_q.weight')).toEqual(bytesOf(f32ToF16(permuteQkForGguf(q, 4, 64))))
    expectSameTensors(weights, (await readGguf(f)).tensors, (x, shape) => (shape.length === 1 ? x : f16ToF32(f32ToF16(x))))
  })

  it('writes and reads BF16 files', async () => {
    const f = file('bf16.gguf')
    await writeGguf(f, cfg, weights, { dtype: 'BF16', tokenizer: vocab })
    const header = await readGgufHeader(f)
    expect(header.kv.get('general.file_type')).toBe(32)
    expect(header.tensors.find((t) => t.name === 'blk.0.ffn_up.weight')!.typeName).toBe('BF16')
    expectSameTensors(weights, (await readGguf(f)).tensors, (x, shape) => (shape.length === 1 ? x : bf16ToF32(f32ToBf16(x))))
  })

  it('omits output.weight for tied embeddings and fills lm_head back', async () => {
    const tied = { ...cfg, tieWordEmbeddings: true }
    const f = file('tied.gguf')
    await writeGguf(f, tied, randomLlamaWeights(tied, 2), { tokenizer: vocab })
    const header = await readGgufHeader(f)
    expect(header.tensors.some((t) => t.name === 'output.weight')).toBe(false)
    const back = await readGguf(f)
    expect(back.config.tieWordEmbeddings).toBe(true)
    expectSameFloats(back.tensors.get('lm_head.weight')!.data, back.tensors.get('model.embed_tokens.weight')!.data, 'lm_head')
  })

  it('round-trips a gpt2 (byte-level BPE) tokenizer', async () => {
    const tokens = ['<|begin_of_text|>', '<|end_of_text|>', 't', '0', 'Ġ', 't0', 'Ġt', ...Array.from({ length: cfg.vocabSize - 7 }, (_, i) => `x${i}`)]
    const bpe: GgufVocab = { model: 'gpt2', tokens, tokenTypes: tokens.map((_, i) => (i < 2 ? 3 : 1)), merges: ['t 0', 'Ġ t'], pre: 'llama-bpe', bos: 0, eos: 1, addBos: true, addEos: false }
    const c = { ...cfg, bosTokenId: 0, eosTokenId: 1 }
    const f = file('bpe.gguf')
    await writeGguf(f, c, randomLlamaWeights(c, 4), { tokenizer: bpe })
    expect((await loadTokenizer(f)).ggufVocab()).toEqual(bpe)
  })

  it('refuses a tokenizer that does not fit the model', async () => {
    const f = file('never.gguf')
    expect((await rejection(writeGguf(f, cfg, weights, { tokenizer: { ...vocab, tokens: vocab.tokens.slice(1) } }))).message).toMatch(/276 tokens, but the model's vocabulary has 277/)
    expect((await rejection(writeGguf(f, cfg, weights, { tokenizer: { ...vocab, eos: 5 } }))).message).toMatch(/bos\/eos ids 1\/5 differ from the model config's 1\/2/)
  })

  it('refuses quantized tensors, truncated files and other files, naming the file and tensor', async () => {
    const good = file('f32.gguf')
    const bytes = readFileSync(good)
    // Change blk.0.attn_v.weight's type to Q4_K (12): it sits right after the tensor's dims.
    const name = Buffer.from('blk.0.attn_v.weight')
    const at = bytes.indexOf(name) + name.length + 4 + 2 * 8
    const patched = Buffer.from(bytes)
    patched.writeUInt32LE(12, at)
    const q = file('q4k.gguf')
    writeFileSync(q, patched)
    let err = await rejection(readGguf(q))
    expect(err.code).toBe('unsupported')
    expect(err.message).toBe(`${q}: tensor blk.0.attn_v.weight is Q4_K (quantized or integer); only F32, F16 and BF16 GGUF files can be read`)

    const cut = file('cut.gguf')
    writeFileSync(cut, bytes.subarray(0, bytes.length - 1000))
    err = await rejection(readGguf(cut))
    expect(err.code).toBe('invalid_input')
    expect(err.message).toMatch(new RegExp(`^${cut}: tensor output.weight ends at byte \\d+ but the file has \\d+: truncated$`))
    writeFileSync(cut, bytes.subarray(0, 5000))
    expect((await rejection(readGguf(cut))).message).toMatch(new RegExp(`^${cut} is a damaged GGUF file: .*(needs \\d+ bytes but the file ends|more than the \\d+ bytes left)`))

    const notGguf = file('not.gguf')
    writeFileSync(notGguf, Buffer.alloc(100, 1))
    expect((await rejection(readGguf(notGguf))).message).toBe(`${notGguf} is not a GGUF file: it does not start with "GGUF".`)
  })
})

describe.skipIf(!HAS_SHARED_DATA)('GGUF files from elsewhere', () => {
  const tiny = path.join(SHARED_DATA, 'models/llama-2-tiny-random-gguf/llama-2-tiny-random.gguf')

  it('reads the tiny random Llama-2 into a config and HF tensors', async () => {
    const { config, tensors, header } = await readGguf(tiny)
    expect(config).toEqual({
      vocabSize: 32000,
      hiddenSize: 8,
      intermediateSize: 32,
      numHiddenLayers: 1,
      numAttentionHeads: 2,
      numKeyValueHeads: 2,
      maxPositionEmbeddings: 4096,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
      tieWordEmbeddings: false,
      bosTokenId: 1,
      eosTokenId: 2,
    })
    expect(header.kv.get('general.name')).toBe('LLaMA v2')
    expect(tensors.size).toBe(12)
    expect(tensors.get('model.layers.0.mlp.down_proj.weight')!.shape).toEqual([8, 32])
    const v = (await loadTokenizer(tiny)).ggufVocab()
    expect(v.model).toBe('llama')
    expect(v.tokens.length).toBe(32000)
    expect(v.tokens.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>'])
    expect(v.tokenTypes.slice(0, 4)).toEqual([2, 3, 3, 6])
    let params = 0
    for (const t of tensors.values()) params += t.data.length
    expect(params).toBe(513_048) // the README's "513K parameters"
  })

  it('writes the tiny model back as F16 with every tensor byte-identical to the original', async () => {
    const { config, tensors } = await readGguf(tiny)
    const f = file('tiny-again.gguf')
    await writeGguf(f, config, tensors, { dtype: 'F16', tokenizer: (await loadTokenizer(tiny)).ggufVocab() })
    const ours = await rawTensors(f)
    const theirs = await rawTensors(tiny)
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort())
    for (const [name, bytes] of theirs) expect(Buffer.compare(ours.get(name)!, bytes), name).toBe(0)
  })

  it('reads the vocabulary of a vocab-only GGUF', async () => {
    const v = (await loadTokenizer(path.join(SHARED_DATA, 'tokenizers/llama-spm-gguf/ggml-vocab-llama-spm.gguf'))).ggufVocab()
    expect(v.tokens.length).toBe(32000)
    expect(v.tokens[29871]).toBe('▁')
    expect(v.model === 'llama' && v.unk).toBe(0)
    expect(v.addBos).toBe(true)
  })
})
