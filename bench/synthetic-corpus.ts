// A synthetic bilingual corpus for benchmarks: documents of realistic length composed from real
// sentences (Dolma web text and Chinese pages from ../shared/data when present), each made unique.
import { createWriteStream, existsSync, readFileSync, readdirSync } from 'node:fs'
import { once } from 'node:events'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'

const FALLBACK_EN = [
  'The model was trained on a mixture of web pages, books and scientific papers.',
  'Each stage of the curriculum uses a fixed budget of tokens and a new mixture of sources.',
  'When the validation loss of a topic rises, the sampler gives that topic more weight in the next round.',
  'Researchers compared the perplexity of the base model with that of the adapted one on every domain.',
]
const FALLBACK_ZH = ['持续预训练让模型在不遗忘原有知识的情况下学习新的语言和领域。', '研究人员根据每个主题的验证困惑度调整数据配比。', '数学和物理文本可以提高模型的推理能力。']

/** English and Chinese sentences to compose documents from. */
export function sentencePools(sharedData: string): { en: string[]; zh: string[] } {
  const en: string[] = []
  const zh: string[] = []
  const dolma = path.join(sharedData, 'corpus/dolma')
  if (existsSync(dolma)) {
    const lines = [
      ...readdirSync(path.join(dolma, 'multiple_files')).flatMap((f) => readFileSync(path.join(dolma, 'multiple_files', f), 'utf8').split('\n')),
      ...gunzipSync(readFileSync(path.join(dolma, 'formats/gz/CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz'))).toString('utf8').split('\n'),
    ]
    for (const line of lines) {
      if (!line.trim()) continue
      const text = (JSON.parse(line) as { text?: string }).text ?? ''
      for (const s of text.split(/(?<=[.!?])\s+/)) if (s.length > 40 && s.length < 400 && /\b(the|and|of)\b/.test(s)) en.push(s.trim())
    }
  }
  const fortunes = path.join(sharedData, 'pages/zh/fortunes-zh/games/fortunes/chinese')
  if (existsSync(fortunes)) {
    // eslint-disable-next-line no-control-regex -- fortune files carry ANSI colour codes
    const text = readFileSync(fortunes, 'utf8').replace(/\x1b\[[0-9;]*m/g, '')
    for (const s of text.split(/(?<=[。！？])/)) {
      const t = s.replace(/\s+/g, '').trim()
      if (t.length >= 8 && t.length <= 120 && /\p{Script=Han}/u.test(t)) zh.push(t)
    }
  }
  return { en: en.length > 100 ? en : FALLBACK_EN, zh: zh.length > 100 ? zh : FALLBACK_ZH }
}

/** Writes `docs` JSONL documents (Dolma layout), `zhShare` of them Chinese, deterministic for a seed. */
export async function writeSyntheticCorpus(file: string, docs: number, opts: { zhShare?: number; seed?: number; start?: number; sharedData: string }): Promise<number> {
  const { en, zh } = sentencePools(opts.sharedData)
  let seed = opts.seed ?? 42
  const rnd = (n: number) => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) % n)
  const out = createWriteStream(file)
  let bytes = 0
  const start = opts.start ?? 0
  for (let i = start; i < start + docs; i++) {
    const chinese = rnd(1000) < (opts.zhShare ?? 0.2) * 1000
    const pool = chinese ? zh : en
    // English documents of about 3,000 characters, Chinese of about 1,000 characters (3 KB of UTF-8).
    const target = chinese ? 800 + rnd(600) : 2200 + rnd(1800)
    const parts: string[] = []
    let len = 0
    while (len < target) {
      const s = pool[rnd(pool.length)]!
      parts.push(s)
      len += s.length
    }
    // A number per paragraph keeps every document distinct, as real pages are.
    const text = parts.map((s, k) => (k % 6 === 5 ? `${s}\n\n` : `${s} `)).join('').trim() + (chinese ? `（编号 ${i}）` : ` (ref. ${i})`)
    const line = JSON.stringify({ id: `synthetic-${i}`, text, source: chinese ? 'synthetic-zh' : 'synthetic-en', metadata: { lang: chinese ? 'zh' : 'en' } }) + '\n'
    bytes += Buffer.byteLength(line)
    if (!out.write(line)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
  return bytes
}
