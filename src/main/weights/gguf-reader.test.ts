// The GGUF header reader on files written here (every value type, damage) and on the real vocab file.
import { statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { ggufBytes as gguf, ggufStrings as strings } from '../../../test/helpers/gguf-bytes'
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../test/helpers/shared-data'
import { tempDir } from '../../../test/helpers/temp'
import { GgufType as T, ggufInteger, ggufNumberArray, ggufString, ggufStringArray, readGgufHeader } from './gguf-reader'

describe('readGgufHeader', () => {
  const tmp = tempDir('cpt-gguf-')
  afterAll(() => tmp.cleanup())
  let n = 0
  const write = (data: Buffer) => {
    const file = path.join(tmp.dir, `f${n++}.gguf`)
    writeFileSync(file, data)
    return file
  }
  const refusal = async (file: string) => {
    const err: unknown = await readGgufHeader(file).catch((e: unknown) => e)
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
    const meta = await readGgufHeader(file)
    expect(meta.version).toBe(3)
    expect(meta.tensors).toEqual([])
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
    expect(meta.dataStart).toBe(Math.ceil(statSync(file).size / 32) * 32)
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
    const meta = await readGgufHeader(path.join(SHARED_DATA, 'tokenizers', 'llama-spm-gguf', 'ggml-vocab-llama-spm.gguf'))
    expect(ggufString(meta, 'tokenizer.ggml.model')).toBe('llama')
    expect(ggufStringArray(meta, 'tokenizer.ggml.tokens')?.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>'])
    expect(ggufNumberArray(meta, 'tokenizer.ggml.scores')).toHaveLength(32000)
    expect(ggufInteger(meta, 'tokenizer.ggml.bos_token_id')).toBe(1)
  })
})
