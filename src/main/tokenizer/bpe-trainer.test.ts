// Byte-level BPE training: the merge rule against a from-scratch recount, and a real-text vocabulary that saves, reloads and round-trips.
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../test/helpers/shared-data'
import { tempDir } from '../../../test/helpers/temp'
import { saveTokenizerJson, trainByteLevelBpe } from './bpe-trainer'
import { BYTE_TO_CHAR } from './byte-level'
import { LLAMA3_PATTERN, compilePattern, splitIsolated } from './pretokenizer'
import { loadTokenizer } from './tokenizer'

/** Reference trainer: recounts every pair after every merge (ties: lower ids). */
function naiveMerges(texts: string[], merges: number): string[] {
  const re = compilePattern(LLAMA3_PATTERN, 'test')
  const strings = [...BYTE_TO_CHAR]
  const idOf = new Map(strings.map((s, i) => [s, i]))
  const words = texts.flatMap((t) => splitIsolated(t, re)).map((w) => [...Buffer.from(w, 'utf8')])
  const out: string[] = []
  while (out.length < merges) {
    const counts = new Map<string, number>()
    for (const w of words) for (let i = 0; i + 1 < w.length; i++) counts.set(`${w[i]},${w[i + 1]}`, (counts.get(`${w[i]},${w[i + 1]}`) ?? 0) + 1)
    let best: [number, number] | null = null
    let bestCount = 0
    for (const [k, n] of counts) {
      const [a, b] = k.split(',').map(Number) as [number, number]
      if (n > bestCount || (n === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) [best, bestCount] = [[a, b], n]
    }
    if (!best) break
    const [a, b] = best
    const text = (strings[a] as string) + (strings[b] as string)
    let c = idOf.get(text)
    if (c === undefined) {
      c = strings.push(text) - 1
      idOf.set(text, c)
    }
    out.push(`${strings[a]} ${strings[b]}`)
    for (const w of words) {
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) w.splice(i, 2, c)
    }
  }
  return out
}

describe('trainByteLevelBpe', () => {
  it('merges the most frequent pair first, ties to the lower ids', async () => {
    const json = await trainByteLevelBpe(['ab ab ab cd'], { vocabSize: 2 + 256 + 4 })
    expect(json.model.merges).toEqual(['a b', 'Ġ ab', 'Ġ c', 'Ġc d'])
    expect(json.model.vocab['<s>']).toBe(0)
    expect(json.model.vocab['</s>']).toBe(1)
    expect(json.model.vocab['!']).toBe(2 + 0x21)
    expect(json.model.vocab['Ġab']).toBe(2 + 257)
  })

  it('keeps pair counts right through overlapping and repeated merges (same merges as a full recount)', async () => {
    let seed = 7
    const rand = (n: number) => (seed = (seed * 16807) % 2147483647) % n
    const alphabet = Array.from('aab c好字🦙')
    const texts = Array.from({ length: 60 }, () => Array.from({ length: 40 }, () => alphabet[rand(alphabet.length)]).join(''))
    texts.push('aaaa aaaaa aaa abab ababab')
    const json = await trainByteLevelBpe(texts, { vocabSize: 2 + 256 + 120, specialTokens: ['<|begin_of_text|>', '<|end_of_text|>'] })
    expect(json.model.merges).toEqual(naiveMerges(texts, json.model.merges.length))
    expect(json.model.merges.length).toBeGreaterThan(50)
  })

  it('reads async iterables and refuses impossible sizes', async () => {
    async function* gen() {
      yield 'hello hello'
      yield ' world'
    }
    const json = await trainByteLevelBpe(gen(), { vocabSize: 262 })
    expect(json.model.merges[0]).toBe('e l')
    await expect(trainByteLevelBpe([], { vocabSize: 100 })).rejects.toThrow(/from 258/)
    await expect(trainByteLevelBpe([], { vocabSize: 300, specialTokens: ['x', 'x'] })).rejects.toThrow(/distinct/)
  })
})

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.html'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
}

/** About `bytes` of text from the pages, tags and entities crudely removed. */
function pageText(lang: string, bytes: number): string[] {
  const out: string[] = []
  let total = 0
  for (const f of htmlFiles(path.join(SHARED_DATA, 'pages', lang))) {
    if (total >= bytes) break
    const text = readFileSync(f, 'utf8').replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ').replace(/<[^>]*>/g, ' ').replace(/&[#\w]+;/g, ' ').replace(/\s+/g, ' ')
    out.push(text)
    total += Buffer.byteLength(text)
  }
  return out
}

describe.skipIf(!HAS_SHARED_DATA)('a vocabulary trained on real English and Chinese pages', () => {
  const tmp = tempDir('cpt-bpe-')
  afterAll(() => tmp.cleanup())

  it('saves, reloads through loadTokenizer, round-trips any text and compresses', async () => {
    const texts = [...pageText('en', 200_000), ...pageText('zh', 200_000)]
    const json = await trainByteLevelBpe(texts, { vocabSize: 1024 })
    const file = path.join(tmp.dir, 'tokenizer.json')
    await saveTokenizerJson(json, file)
    const tok = await loadTokenizer(tmp.dir)
    expect([tok.kind, tok.vocabSize, tok.bosId, tok.eosId]).toEqual(['bpe', 1024, 0, 1])
    expect(tok.tokenToString(0)).toBe('<s>')

    const samples = [
      'The integral of a Gaussian function over the real line is √π.',
      '计算矩阵的行列式和特征值，返回一个数组。',
      'Emoji: 🦙🚀👍🏽 👨‍👩‍👧 and flags 🇨🇳🇬🇧',
      'control \u0000\u0001\u0007\t\r\n\u001b[31m red \u007f and  double  spaces\n\n\n',
      "Don't SHOUT'LL 'S x3.14159 12345678 ünïcödé ﬁ Ω",
      '',
    ]
    for (const s of samples) {
      const ids = tok.encode(s)
      expect(tok.decode(ids)).toBe(s)
      expect(tok.encode(s, { bos: true })).toEqual([0, ...ids])
    }
    const en = pageText('en', 20_000).join('\n')
    const zh = pageText('zh', 20_000).join('\n')
    expect(tok.decode(tok.encode(en))).toBe(en)
    expect(tok.decode(tok.encode(zh))).toBe(zh)
    expect(tok.encode(en).length).toBeLessThan(Buffer.byteLength(en) / 2)
    expect(tok.encode(zh).length).toBeLessThan(Buffer.byteLength(zh) / 1.5)
    expect(tok.encode('</s>')).not.toContain(1)
    expect(tok.encode('</s>', { special: true })).toEqual([1])
  })
})
