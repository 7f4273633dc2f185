// An import killed with kill -9 and run again finishes with exactly the documents of an uninterrupted
// import: nothing lost, nothing duplicated.
import { spawn } from 'node:child_process'
import { createWriteStream, readdirSync, readFileSync } from 'node:fs'
import { once } from 'node:events'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, cli } from '../helpers/cli'
import { tempDir, waitFor } from '../helpers/temp'

const WORDS = 'model data training token corpus science physics chemistry biology energy matrix vector proof theorem lemma'.split(' ')
const GLUE = 'the of and to in that is with for as on'.split(' ')

async function writeCorpus(file: string, docs: number): Promise<void> {
  const out = createWriteStream(file)
  let seed = 7
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 1000) / 1000
  for (let i = 0; i < docs; i++) {
    // English-like: content words joined by function words.
    const words = Array.from({ length: 250 }, (_, k) => (k % 2 ? GLUE[Math.floor(rnd() * GLUE.length)] : WORDS[Math.floor(rnd() * WORDS.length)])).join(' ')
    if (!out.write(JSON.stringify({ id: `doc-${i}`, text: `Document ${i}. ${words}.` }) + '\n')) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

function stateOf(ws: string): { counts: { added: number } } | null {
  const jobs = path.join(ws, 'jobs')
  const file = readdirSync(jobs).find((f) => f.endsWith('.state.json'))
  return file ? (JSON.parse(readFileSync(path.join(jobs, file), 'utf8')) as { counts: { added: number } }) : null
}

describe('import after kill -9', () => {
  it('resumes without duplicates or losses', async () => {
    const tmp = tempDir()
    const env = { CPT_STUDIO_HOME: path.join(tmp.dir, 'home') }
    try {
      const corpus = path.join(tmp.dir, 'corpus.jsonl')
      await writeCorpus(corpus, 12_000)
      const killed = path.join(tmp.dir, 'killed')
      await cli(['workspace', 'init', killed], env)
      const child = spawn(process.execPath, [BIN, 'import', corpus, '--workspace', killed, '--json'], { env: { ...process.env, ...env }, stdio: 'ignore' })
      await waitFor(() => (stateOf(killed)?.counts.added ?? 0) >= 2000, 120_000, 'part of the import to be stored')
      child.kill('SIGKILL')
      await once(child, 'exit')

      const again = await cli(['import', corpus, '--workspace', killed, '--json'], env)
      expect(again.code, again.stderr).toBe(0)
      const resumed = JSON.parse(again.stdout) as { documents: number; added: number; read: number }
      expect(resumed.documents).toBe(12_000)

      const clean = path.join(tmp.dir, 'clean')
      await cli(['workspace', 'init', clean], env)
      const straight = JSON.parse((await cli(['import', corpus, '--workspace', clean, '--json'], env)).stdout) as { documents: number }
      expect(straight.documents).toBe(12_000)
      const ids = async (ws: string) => {
        const out = path.join(tmp.dir, `${path.basename(ws)}.jsonl`)
        await cli(['export-docs', '--workspace', ws, '--out', out], env)
        return readFileSync(out, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id).sort()
      }
      const [a, b] = [await ids(killed), await ids(clean)]
      expect(new Set(a).size).toBe(a.length)
      expect(a).toEqual(b)
      // A third run adds nothing.
      const third = JSON.parse((await cli(['import', corpus, '--workspace', killed, '--json'], env)).stdout) as { added: number }
      expect(third.added).toBe(0)
    } finally {
      tmp.cleanup()
    }
  }, 400_000)
})
