// safetensors files and HF checkpoints: round trips in F32/BF16/F16, shards, tied embeddings, and refusals.
import { existsSync, readFileSync, readdirSync, writeFileSync, truncateSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { expectSameTensors, rejection } from '../../../test/helpers/assertions'
import { tempDir } from '../../../test/helpers/temp'
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './float16'
import { presetConfig, toHfConfig, type LlamaConfig } from './llama-config'
import { randomLlamaWeights } from './random-weights'
import { loadHfCheckpoint, planShards, readSafetensors, readSafetensorsHeader, saveHfCheckpoint, writeSafetensors } from './safetensors'

const tmp = tempDir('cpt-weights-')
afterAll(() => tmp.cleanup())
let n = 0
const dir = (name: string) => path.join(tmp.dir, `${name}-${n++}`)

const cfg: LlamaConfig = presetConfig('debug', 300)
const weights = randomLlamaWeights(cfg, 3)

/** A safetensors file from a hand-written header and raw data bytes. */
function handMade(file: string, header: Record<string, unknown>, data: Uint8Array, pad = true): void {
  let json = Buffer.from(JSON.stringify(header))
  if (pad && json.length % 8) json = Buffer.concat([json, Buffer.alloc(8 - (json.length % 8), 0x20)])
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(json.length))
  writeFileSync(file, Buffer.concat([len, json, data]))
}

describe('safetensors files', () => {
  it('writes the HF layout: 8-byte aligned header padded with spaces, __metadata__ format pt', async () => {
    const file = path.join(dir('layout'), 'x.safetensors')
    mkdirSync(path.dirname(file))
    await writeSafetensors(file, new Map([['a', { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }], ['b', { shape: [1], data: Float32Array.of(-1) }]]))
    const bytes = readFileSync(file)
    const len = Number(bytes.readBigUInt64LE(0))
    expect((8 + len) % 8).toBe(0)
    const text = bytes.subarray(8, 8 + len).toString('utf8')
    expect(text).toMatch(/^\{"__metadata__":\{"format":"pt"\},"a":\{"dtype":"F32","shape":\[2,3\],"data_offsets":\[0,24\]\},"b":\{"dtype":"F32","shape":\[1\],"data_offsets":\[24,28\]\}\} *$/)
    expect(bytes.length).toBe(8 + len + 28)
    expect(bytes.readFloatLE(8 + len + 24)).toBe(-1)
    const { tensors, metadata } = await readSafetensors(file)
    expect(metadata).toEqual({ format: 'pt' })
    expect([...tensors.get('a')!.data]).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('reads F16, BF16 and F64 from hand-written bytes', async () => {
    const file = path.join(tmp.dir, 'hand.safetensors')
    const data = Buffer.alloc(6 + 4 + 16)
    ;[0x3c00, 0xc000, 0x3800].forEach((v, i) => data.writeUInt16LE(v, i * 2)) // F16 1, -2, 0.5
    ;[0x3f80, 0x4040].forEach((v, i) => data.writeUInt16LE(v, 6 + i * 2)) // BF16 1, 3
    data.writeDoubleLE(0.25, 10)
    data.writeDoubleLE(-8, 18)
    handMade(
      file,
      {
        h: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
        b: { dtype: 'BF16', shape: [1, 2], data_offsets: [6, 10] },
        d: { dtype: 'F64', shape: [2], data_offsets: [10, 26] },
      },
      data,
      false,
    )
    const { tensors } = await readSafetensors(file)
    expect([...tensors.get('h')!.data]).toEqual([1, -2, 0.5])
    expect(tensors.get('b')).toEqual({ shape: [1, 2], data: Float32Array.of(1, 3) })
    expect([...tensors.get('d')!.data]).toEqual([0.25, -8])
  })

  it('refuses unsupported dtypes, truncated files and impossible headers with the file and tensor named', async () => {
    const file = path.join(tmp.dir, 'bad.safetensors')
    handMade(file, { q: { dtype: 'I8', shape: [4], data_offsets: [0, 4] } }, new Uint8Array(4))
    let err = await rejection(readSafetensors(file))
    expect(err.code).toBe('unsupported')
    expect(err.message).toBe('bad.safetensors: tensor q has dtype I8 (integer or 8-bit data: quantized checkpoints are not supported); only F32, F16, BF16 and F64 can be read')

    handMade(file, { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(10))
    err = await rejection(readSafetensors(file))
    expect(err.code).toBe('invalid_input')
    expect(err.message).toMatch(/^bad.safetensors: tensor w ends at data byte 16 but the file holds only 10 data bytes: the file is truncated$/)

    handMade(file, { w: { dtype: 'F32', shape: [4], data_offsets: [0, 12] } }, new Uint8Array(16))
    expect((await rejection(readSafetensors(file))).message).toMatch(/tensor w \(F32 \[4\]\) should take 16 bytes but its data_offsets span 12/)

    const len = Buffer.alloc(16)
    len.writeBigUInt64LE(1000n)
    writeFileSync(file, len)
    expect((await rejection(readSafetensors(file))).message).toBe('bad.safetensors: the header length 1000 goes beyond the end of the file (16 bytes): truncated or not a safetensors file')

    writeFileSync(file, Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('nope')]))
    expect((await rejection(readSafetensors(file))).message).toMatch(/^bad.safetensors: the header is not valid UTF-8 JSON/)

    writeFileSync(file, Buffer.from([1, 2]))
    expect((await rejection(readSafetensors(file))).message).toMatch(/not a safetensors file \(only 2 bytes/)
    expect((await rejection(readSafetensors(path.join(tmp.dir, 'none.safetensors')))).code).toBe('not_found')
  })
})

describe('HF checkpoints', () => {
  it('round-trips F32 exactly, with config.json as transformers writes it', async () => {
    const d = dir('f32')
    const { files } = await saveHfCheckpoint(d, cfg, weights)
    expect(files.sort()).toEqual(['config.json', 'model.safetensors'])
    expect(readdirSync(d).sort()).toEqual(['config.json', 'model.safetensors']) // no temporary files left
    expect(JSON.parse(readFileSync(path.join(d, 'config.json'), 'utf8'))).toEqual(toHfConfig(cfg))
    const back = await loadHfCheckpoint(d)
    expect(back.config).toEqual(cfg)
    expectSameTensors(weights, back.tensors)
  })

  it('round-trips BF16 and F16 within their rounding', async () => {
    for (const [dtype, round] of [
      ['BF16', (x: Float32Array) => bf16ToF32(f32ToBf16(x))],
      ['F16', (x: Float32Array) => f16ToF32(f32ToF16(x))],
    ] as const) {
      const d = dir(dtype)
      await saveHfCheckpoint(d, cfg, weights, { dtype })
      const header = await readSafetensorsHeader(path.join(d, 'model.safetensors'))
      expect(new Set([...header.entries.values()].map((e) => e.dtype))).toEqual(new Set([dtype]))
      expect(JSON.parse(readFileSync(path.join(d, 'config.json'), 'utf8')).torch_dtype).toBe(dtype === 'BF16' ? 'bfloat16' : 'float16')
      const back = await loadHfCheckpoint(d)
      expectSameTensors(weights, back.tensors, round)
      const q = weights.get('model.layers.0.self_attn.q_proj.weight')!.data
      const qb = back.tensors.get('model.layers.0.self_attn.q_proj.weight')!.data
      const tol = dtype === 'BF16' ? 2 ** -8 : 2 ** -11
      for (let i = 0; i < q.length; i++) expect(Math.abs(qb[i]! - q[i]!)).toBeLessThanOrEqual(Math.abs(q[i]!) * tol + 1e-7)
    }
  })

  it('shards by size with an index, and a later single-file save removes the shards', async () => {
    expect(planShards([['a', 10], ['b', 10], ['c', 25], ['d', 1]], 20)).toEqual([['a', 'b'], ['c'], ['d']])
    const d = dir('sharded')
    const { files } = await saveHfCheckpoint(d, cfg, weights, { maxShardBytes: 60_000 })
    const shards = readdirSync(d).filter((f) => f.endsWith('.safetensors')).sort()
    expect(shards.length).toBeGreaterThan(2)
    expect(shards[0]).toBe(`model-00001-of-${String(shards.length).padStart(5, '0')}.safetensors`)
    expect(files).toContain('model.safetensors.index.json')
    const index = JSON.parse(readFileSync(path.join(d, 'model.safetensors.index.json'), 'utf8'))
    expect(index.metadata.total_size).toBe([...weights.values()].reduce((s, t) => s + t.data.byteLength, 0))
    expect(Object.keys(index.weight_map)).toEqual(Object.keys(index.weight_map).sort())
    expect(new Set(Object.values(index.weight_map))).toEqual(new Set(shards))
    expectSameTensors(weights, (await loadHfCheckpoint(d)).tensors)

    await saveHfCheckpoint(d, cfg, weights)
    expect(readdirSync(d).sort()).toEqual(['config.json', 'model.safetensors'])
  })

  it('omits lm_head for tied embeddings and fills it back from embed_tokens', async () => {
    const tied = { ...cfg, tieWordEmbeddings: true }
    const w = randomLlamaWeights(tied, 5)
    const d = dir('tied')
    await saveHfCheckpoint(d, tied, w)
    const header = await readSafetensorsHeader(path.join(d, 'model.safetensors'))
    expect(header.entries.has('lm_head.weight')).toBe(false)
    const back = await loadHfCheckpoint(d)
    expect(back.config.tieWordEmbeddings).toBe(true)
    expectSameTensors(new Map([['lm_head.weight', w.get('model.embed_tokens.weight')!]]), new Map([['lm_head.weight', back.tensors.get('lm_head.weight')!]]))
    expect(back.tensors.get('lm_head.weight')!.data).not.toBe(back.tensors.get('model.embed_tokens.weight')!.data)

    const differs = new Map(w)
    differs.set('lm_head.weight', { shape: [300, 64], data: new Float32Array(300 * 64) })
    expect((await rejection(saveHfCheckpoint(dir('tied-bad'), tied, differs))).message).toMatch(/ties the word embeddings, but lm_head.weight differs/)
  })

  it('refuses wrong shapes, missing tensors, extra tensors and quantized data, naming file and tensor', async () => {
    const writeCheckpoint = async (name: string, tensors: [string, { shape: number[]; data: Float32Array }][]) => {
      const d = dir(name)
      mkdirSync(d)
      writeFileSync(path.join(d, 'config.json'), JSON.stringify(toHfConfig(cfg)))
      await writeSafetensors(path.join(d, 'model.safetensors'), tensors)
      return d
    }
    const wrong = [...weights].map(([k, t]): [string, typeof t] => (k === 'model.layers.1.mlp.up_proj.weight' ? [k, { shape: [64, 176], data: t.data }] : [k, t]))
    let err = await rejection(loadHfCheckpoint(await writeCheckpoint('shape', wrong)))
    expect(err.message).toBe('model.safetensors: tensor model.layers.1.mlp.up_proj.weight has shape [64, 176], config.json says [176, 64]')

    const missing = [...weights].filter(([k]) => k !== 'model.layers.0.self_attn.v_proj.weight' && k !== 'lm_head.weight')
    err = await rejection(loadHfCheckpoint(await writeCheckpoint('missing', missing)))
    expect(err.message).toMatch(/lacks 2 tensor\(s\) config.json needs: model.layers.0.self_attn.v_proj.weight, lm_head.weight$/)

    const extra = [...weights, ['model.layers.0.self_attn.q_proj.bias', { shape: [64], data: new Float32Array(64) }] as [string, { shape: number[]; data: Float32Array }]]
    err = await rejection(loadHfCheckpoint(await writeCheckpoint('extra', extra)))
    expect(err.message).toBe('model.safetensors: unexpected tensor model.layers.0.self_attn.q_proj.bias (not part of a Llama model with this config.json)')

    // Old transformers versions saved rotary inverse frequencies: ignored.
    const invFreq = [...weights, ['model.layers.0.self_attn.rotary_emb.inv_freq', { shape: [8], data: new Float32Array(8) }] as [string, { shape: number[]; data: Float32Array }]]
    expect((await loadHfCheckpoint(await writeCheckpoint('inv-freq', invFreq))).tensors.size).toBe(weights.size)

    const d = dir('quantized')
    mkdirSync(d)
    writeFileSync(path.join(d, 'config.json'), JSON.stringify(toHfConfig(cfg)))
    handMade(path.join(d, 'model.safetensors'), { 'model.norm.weight': { dtype: 'I8', shape: [64], data_offsets: [0, 64] } }, new Uint8Array(64))
    err = await rejection(loadHfCheckpoint(d))
    expect(err.code).toBe('unsupported')
    expect(err.message).toMatch(/^model.safetensors: tensor model.norm.weight has dtype I8/)
  })

  it('refuses truncated checkpoints, bad configs, broken indexes and pickle checkpoints', async () => {
    const d = dir('truncated')
    await saveHfCheckpoint(d, cfg, weights)
    const file = path.join(d, 'model.safetensors')
    truncateSync(file, readFileSync(file).length - 100)
    expect((await rejection(loadHfCheckpoint(d))).message).toMatch(/^model.safetensors: tensor lm_head.weight ends at data byte \d+ but the file holds only \d+ data bytes: the file is truncated$/)

    writeFileSync(path.join(d, 'config.json'), JSON.stringify({ ...toHfConfig(cfg), rope_scaling: { type: 'linear', factor: 4 } }))
    expect((await rejection(loadHfCheckpoint(d))).code).toBe('unsupported')
    writeFileSync(path.join(d, 'config.json'), '{"vocab_size": 3,')
    expect((await rejection(loadHfCheckpoint(d))).message).toMatch(/^config.json is not valid JSON/)

    const s = dir('bad-index')
    await saveHfCheckpoint(s, cfg, weights, { maxShardBytes: 100_000 })
    const indexFile = path.join(s, 'model.safetensors.index.json')
    const index = JSON.parse(readFileSync(indexFile, 'utf8'))
    index.weight_map['model.norm.weight'] = '../../etc/passwd'
    writeFileSync(indexFile, JSON.stringify(index))
    expect((await rejection(loadHfCheckpoint(s))).message).toMatch(/model.norm.weight maps to "..\/..\/etc\/passwd", which is not a file name/)
    index.weight_map['model.norm.weight'] = 'model-00001-of-00009.safetensors'
    writeFileSync(indexFile, JSON.stringify(index))
    expect((await rejection(loadHfCheckpoint(s))).code).toBe('not_found')

    const p = dir('pickle')
    mkdirSync(p)
    writeFileSync(path.join(p, 'config.json'), JSON.stringify(toHfConfig(cfg)))
    writeFileSync(path.join(p, 'pytorch_model.bin'), 'x')
    expect((await rejection(loadHfCheckpoint(p))).message).toMatch(/PyTorch pickle checkpoint/)
    expect(existsSync(path.join(p, 'model.safetensors'))).toBe(false)
  })

  it('refuses to save tensors that do not fit the config', async () => {
    const bad = new Map(weights)
    bad.set('model.norm.weight', { shape: [64], data: new Float32Array(63) })
    expect((await rejection(saveHfCheckpoint(dir('bad-save'), cfg, bad))).message).toBe('Tensor model.norm.weight has shape [64] (64 values) but holds 63')
    const short = new Map(weights)
    short.delete('model.layers.1.mlp.gate_proj.weight')
    expect((await rejection(saveHfCheckpoint(dir('bad-save'), cfg, short))).message).toBe('Tensor model.layers.1.mlp.gate_proj.weight is missing')
  })
})
