// `npm run bench:tokenizer`: encode throughput of every tokenizer we load (cold: empty chunk cache; warm: a
// second pass), counting throughput (`count`, what an import uses; warm) and byte-level BPE training time, on the text of the HTML pages in ../shared/data/pages
// (English and Chinese, tags stripped crudely). Prints and saves the numbers; asserts nothing about speed.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { it } from 'vitest'
import { trainByteLevelBpe } from '../src/main/tokenizer/bpe-trainer'
import { loadTokenizer } from '../src/main/tokenizer/tokenizer'
import { SHARED_DATA } from '../test/helpers/shared-data'

function pageTexts(): string[] {
  const files = readdirSync(path.join(SHARED_DATA, 'pages'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && /\.html?$/.test(e.name))
  return files.map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8').replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]+>/g, ' ').replace(/&[a-z]+;/g, ' '))
}

/** Throughput of `tokens` over the texts, and the tokens it gives. */
function rate(texts: string[], bytes: number, tokens: (text: string) => number): { mbPerS: number; tokens: number } {
  const t0 = performance.now()
  let n = 0
  for (const t of texts) n += tokens(t)
  return { mbPerS: bytes / 1e6 / ((performance.now() - t0) / 1000), tokens: n }
}

it('measures tokenizer throughput and BPE training', async () => {
  const texts = pageTexts()
  const bytes = texts.reduce((s, t) => s + Buffer.byteLength(t), 0)
  const files: Record<string, string> = {
    'llama2 tokenizer.model': 'tokenizers/llama2/tokenizer.model',
    'llama2 tokenizer.json (Dolma)': 'tokenizers/llama2-hf-json-dolma/llama-test-tokenizer.json',
    'llama-spm GGUF vocab': 'tokenizers/llama-spm-gguf/ggml-vocab-llama-spm.gguf',
    'llama3 tiktoken': 'tokenizers/llama3/tokenizer.model',
  }
  const encode: Record<string, unknown> = {}
  for (const [name, rel] of Object.entries(files)) {
    const t0 = performance.now()
    const tok = await loadTokenizer(path.join(SHARED_DATA, rel))
    const loadMs = performance.now() - t0
    const cold = rate(texts, bytes, (t) => tok.encode(t).length)
    const warm = rate(texts, bytes, (t) => tok.encode(t).length)
    const count = rate(texts, bytes, (t) => tok.count(t))
    if (count.tokens !== cold.tokens) throw new Error(`${name}: count gave ${count.tokens} tokens, encode ${cold.tokens}`)
    encode[name] = { loadMs, coldMbPerS: cold.mbPerS, warmMbPerS: warm.mbPerS, countWarmMbPerS: count.mbPerS, tokens: cold.tokens }
  }
  const t0 = performance.now()
  const json = await trainByteLevelBpe(texts, { vocabSize: 4096 })
  const trainSeconds = (performance.now() - t0) / 1000
  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    text: { documents: texts.length, mb: bytes / 1e6 },
    encode,
    bpeTraining: { vocabSize: 4096, seconds: trainSeconds, merges: json.model.merges.length },
  }
  console.log(JSON.stringify(result, null, 2))
  mkdirSync(path.join(__dirname, 'results'), { recursive: true })
  writeFileSync(path.join(__dirname, 'results', `tokenizer-${result.date.slice(0, 10)}.json`), JSON.stringify(result, null, 2) + '\n')
}, 600_000)
