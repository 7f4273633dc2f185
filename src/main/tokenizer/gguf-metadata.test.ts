// The GGUF metadata reader on files written here (every value type, damage) and on the real vocab file; GGUF vocabularies of both kinds.
import { statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../test/helpers/shared-data'
import { tempDir } from '../../../test/helpers/temp'
import { trainByteLevelBpe } from './bpe-trainer'
import { GgufType as T, ggufInteger, ggufNumberArray, ggufString, ggufStringArray, readGgufMetadata } from './gguf-metadata'
import { loadHfTokenizerJson } from './hf-tokenizer-json'
import { loadTokenizer } from './tokenizer'

type Value = number | bigint | boolean | string | Uint8Array | { itemType: number; items: Value[] }

/** Writes a GGUF header and key/values (no tensors); strings may be raw bytes to make invalid UTF-8. */
function gguf(entries: [string, number, Value][], version = 3): Buffer {
  const parts: Buffer[] = []
  const u32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(n)
    parts.push(b)
  }
  const u64 = (n: number | bigint) => {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(n))
    parts.push(b)
  }
  const str = (s: string | Uint8Array) => {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s)
    u64(b.length)
    parts.push(b)
  }
  const value = (type: number, v: Value) => {
    const b = Buffer.alloc(8)
    if (type === T.STRING) return str(v as string | Uint8Array)
    if (type === T.ARRAY) {
      const { itemType, items } = v as { itemType: number; items: Value[] }
      u32(itemType)
      u64(items.length)
      for (const item of items) value(itemType, item)
      return
    }
    const writers: Record<number, () => number> = {
      [T.UINT8]: () => b.writeUInt8(v as number),
      [T.INT8]: () => b.writeInt8(v as number),
      [T.UINT16]: () => b.writeUInt16LE(v as number),
      [T.INT16]: () => b.writeInt16LE(v as number),
      [T.UINT32]: () => b.writeUInt32LE(v as number),
      [T.INT32]: () => b.writeInt32LE(v as number),
      [T.FLOAT32]: () => b.writeFloatLE(v as number),
      [T.BOOL]: () => b.writeUInt8(v ? 1 : 0),
      [T.UINT64]: () => b.writeBigUInt64LE(v as bigint),
      [T.INT64]: () => b.writeBigInt64LE(v as bigint),
      [T.FLOAT64]: () => b.writeDoubleLE(v as number),
    }
    parts.push(b.subarray(0, writers[type]?.() ?? 0))
  }
  parts.push(Buffer.from('GGUF'))
  u32(version)
  u64(0)
  u64(entries.length)
  for (const [key, type, v] of entries) {
    str(key)
    u32(type)
    value(type, v)
  }
  return Buffer.concat(parts)
}

const strings = (items: (string | Uint8Array)[]) => ({ itemType: T.STRING, items })

describe('readGgufMetadata', () => {
  const tmp = tempDir('cpt-gguf-')
  afterAll(() => tmp.cleanup())
  let n = 0
  const write = (data: Buffer) => {
    const file = path.join(tmp.dir, `f${n++}.gguf`)
    writeFileSync(file, data)
    return file
  }
  const refusal = async (file: string) => {
    const err: unknown = await readGgufMetadata(file).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).message).toContain(file)
    return err as AppError
  }

  it('reads every value type, arrays of strings, numbers, bools and arrays', async () => {
    const file = write(
      gguf([
        ['u8', T.UINT8, 200],
        ['i8', T.INT8, -5],
        ['u16', T.UINT16, 60000],
        ['i16', T.INT16, -3000],
        ['u32', T.UINT32, 4_000_000_000],
        ['i32', T.INT32, -7],
        ['f32', T.FLOAT32, 0.5],
        ['bool', T.BOOL, true],
        ['str', T.STRING, 'héllo ▁ 🦙'],
        ['u64', T.UINT64, 2n ** 40n],
        ['i64', T.INT64, -(2n ** 40n)],
        ['f64', T.FLOAT64, 1e-300],
        ['strs', T.ARRAY, strings(['a', '', 'ü'])],
        ['f32s', T.ARRAY, { itemType: T.FLOAT32, items: [1.5, -2] }],
        ['i32s', T.ARRAY, { itemType: T.INT32, items: [3, -1] }],
        ['bools', T.ARRAY, { itemType: T.BOOL, items: [true, false] }],
        ['nested', T.ARRAY, { itemType: T.ARRAY, items: [{ itemType: T.UINT8, items: [1, 2] }, strings(['x'])] }],
      ]),
    )
    const meta = await readGgufMetadata(file)
    expect(meta.version).toBe(3)
    expect(meta.tensorCount).toBe(0)
    expect(Object.fromEntries(meta.kv)).toEqual({
      u8: 200,
      i8: -5,
      u16: 60000,
      i16: -3000,
      u32: 4_000_000_000,
      i32: -7,
      f32: 0.5,
      bool: true,
      str: 'héllo ▁ 🦙',
      u64: 2n ** 40n,
      i64: -(2n ** 40n),
      f64: 1e-300,
      strs: ['a', '', 'ü'],
      f32s: new Float32Array([1.5, -2]),
      i32s: new Int32Array([3, -1]),
      bools: [true, false],
      nested: [new Uint8Array([1, 2]), ['x']],
    })
    expect(ggufInteger(meta, 'u64')).toBe(2 ** 40)
    expect(ggufString(meta, 'str')).toBe('héllo ▁ 🦙')
    expect(ggufStringArray(meta, 'strs')).toEqual(['a', '', 'ü'])
    expect(ggufNumberArray(meta, 'f32s')).toEqual(new Float32Array([1.5, -2]))
    expect(() => ggufString(meta, 'u8')).toThrow(/"u8" should be a string/)
    expect(meta.tensorInfoOffset).toBe(statSync(file).size)
  })

  it('refuses strings that are not UTF-8, truncation, unknown types, old versions and other files', async () => {
    const bad = await refusal(write(gguf([['tokenizer.ggml.tokens', T.ARRAY, strings(['ok', new Uint8Array([0x61, 0xff, 0x62])])]])))
    expect(bad.message).toMatch(/item 1 of "tokenizer.ggml.tokens" is not valid UTF-8 \(at byte \d+\)/)
    const whole = gguf([['a', T.STRING, 'x'.repeat(100)]])
    expect((await refusal(write(whole.subarray(0, whole.length - 10)))).message).toMatch(/the length of "a" is 100, more than the 90 bytes left in the file \(at byte 37\)\. The file is truncated/)
    expect((await refusal(write(gguf([['a', 13, 0]])))).message).toMatch(/"a" has an unknown value type 13/)
    expect((await refusal(write(gguf([], 1)))).code).toBe('unsupported')
    expect((await refusal(write(Buffer.from('not a gguf file')))).message).toMatch(/does not start with "GGUF"/)
  })

  it.skipIf(!HAS_SHARED_DATA)('reads the llama.cpp vocab file', async () => {
    const meta = await readGgufMetadata(path.join(SHARED_DATA, 'tokenizers', 'llama-spm-gguf', 'ggml-vocab-llama-spm.gguf'))
    expect(ggufString(meta, 'tokenizer.ggml.model')).toBe('llama')
    expect(ggufStringArray(meta, 'tokenizer.ggml.tokens')?.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>'])
    expect(ggufNumberArray(meta, 'tokenizer.ggml.scores')).toHaveLength(32000)
    expect(ggufInteger(meta, 'tokenizer.ggml.bos_token_id')).toBe(1)
  })
})

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
