// Training from the command line on a real imported corpus: a ~1M-parameter proxy lowers held-out loss;
// a run killed with kill -9 (CLI and worker) and resumed reproduces the uninterrupted loss curve; the GGUF
// export loads in llama.cpp (node-llama-cpp) and generates.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { once } from 'node:events'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, cli } from '../helpers/cli'
import { HAS_SHARED_DATA, SHARED_DATA } from '../helpers/shared-data'
import { tempDir, waitFor } from '../helpers/temp'

interface Point {
  step: number
  loss?: number
  evalLoss?: number
}

/** The run's metric lines; a line still being written is left out. */
const metrics = (ws: string, run: string): Point[] =>
  readFileSync(path.join(ws, 'runs', run, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as Point)

const TRAIN = ['--preset', 'proxy-1m', '--bpe-vocab', '512', '--steps', '60', '--batch', '4', '--seq', '64', '--lr', '3e-3', '--warmup', '4', '--eval-every', '10', '--eval-tokens', '2048', '--checkpoint-every', '10', '--seed', '7', '--backend', 'wasm']

describe.skipIf(!HAS_SHARED_DATA)('training from the CLI', () => {
  const tmp = tempDir()
  const env = { CPT_STUDIO_HOME: path.join(tmp.dir, 'home') }
  const ws = path.join(tmp.dir, 'ws')
  let straight = ''

  beforeAll(async () => {
    await cli(['workspace', 'init', ws], env)
    const r = await cli(['import', path.join(SHARED_DATA, 'corpus/dolma/formats'), path.join(SHARED_DATA, 'pages/zh'), '--workspace', ws, '--json'], env)
    expect(r.code, r.stderr).toBe(0)
  }, 300_000)
  afterAll(() => tmp.cleanup())

  it('trains a 1M-parameter proxy that lowers held-out loss', async () => {
    const r = await cli(['train', '--workspace', ws, ...TRAIN, '--json'], env)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const out = JSON.parse(r.stdout) as { runId: string; steps: number; evalLoss: number; firstEvalLoss: number; backend: string }
    straight = out.runId
    expect(out.steps).toBe(60)
    expect(out.backend).toBe('wasm')
    expect(out.evalLoss).toBeLessThan(out.firstEvalLoss - 0.5)
    const run = JSON.parse(readFileSync(path.join(ws, 'runs', out.runId, 'run.json'), 'utf8')) as { status: string; model: { parameters: number }; backend: { tried: { name: string }[] } }
    expect(run.status).toBe('finished')
    expect(run.model.parameters).toBeGreaterThan(1_000_000)
    expect(run.model.parameters).toBeLessThan(1_500_000)
    expect(run.backend.tried.map((t) => t.name)).toContain('wasm')
  }, 600_000)

  it('resumes after kill -9 with the same loss curve as the uninterrupted run', async () => {
    expect(straight).not.toBe('')
    const child = spawn(process.execPath, [BIN, 'train', '--workspace', ws, ...TRAIN, '--json'], { env: { ...process.env, ...env }, stdio: 'ignore' })
    const exited = once(child, 'exit')
    const runs = path.join(ws, 'runs')
    let run = ''
    try {
      run = await waitFor(() => readdirSync(runs).find((r) => r !== straight), 60_000, 'the second run to start')
      // Past the step-30 checkpoint and into the next stretch, so the resume has steps to redo.
      await waitFor(() => existsSync(path.join(runs, run, 'metrics.jsonl')) && metrics(ws, run).some((p) => p.step >= 34), 300_000, 'step 34')
    } finally {
      // The CLI and its job worker die together, as in a crash: nothing gets to write a last checkpoint.
      const workers = execFileSync('pgrep', ['-P', String(child.pid)]).toString().trim().split('\n').filter(Boolean).map(Number)
      child.kill('SIGKILL')
      for (const pid of workers) process.kill(pid, 'SIGKILL')
      await exited
    }
    expect(metrics(ws, run).some((p) => p.step >= 34 && p.step < 60)).toBe(true)

    const r = await cli(['resume', run, '--workspace', ws, '--json'], env)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const a = metrics(ws, straight)
    const b = metrics(ws, run)
    expect(b.map((p) => p.step)).toEqual(a.map((p) => p.step))
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!
      const y = b[i]!
      if (x.loss !== undefined) expect(Math.abs(x.loss - y.loss!), `train loss at step ${x.step}`).toBeLessThan(1e-5)
      if (x.evalLoss !== undefined) expect(Math.abs(x.evalLoss - y.evalLoss!), `held-out loss at step ${x.step}`).toBeLessThan(1e-5)
    }
  }, 900_000)

  it('exports GGUF that llama.cpp loads and generates with, and a safetensors folder', async () => {
    const gguf = path.join(tmp.dir, 'proxy.gguf')
    const r = await cli(['export', '--run', straight, '--workspace', ws, '--format', 'gguf', '--out', gguf, '--json'], env)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const { getLlama, LlamaCompletion } = await import('node-llama-cpp')
    const llama = await getLlama({ gpu: false })
    const model = await llama.loadModel({ modelPath: gguf })
    const context = await model.createContext({ contextSize: 256, threads: 1 })
    try {
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() })
      const text = await completion.generateCompletion('The', { maxTokens: 12, temperature: 0 })
      expect(model.tokenize(text).length).toBeGreaterThan(0)
    } finally {
      await context.dispose()
      await model.dispose()
    }
    const st = await cli(['export', '--run', straight, '--workspace', ws, '--format', 'safetensors', '--out', path.join(tmp.dir, 'hf'), '--json'], env)
    expect(st.code, st.stderr + st.stdout).toBe(0)
    expect(readdirSync(path.join(tmp.dir, 'hf')).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json'])
    const again = await cli(['export', '--run', straight, '--workspace', ws, '--format', 'gguf', '--out', gguf, '--json'], env)
    expect(again.code).not.toBe(0)
    expect(again.stdout).toContain('already exists')
  }, 300_000)

  it('continues pre-training from an exported Hugging Face checkpoint where the first run ended', async () => {
    const hf = path.join(tmp.dir, 'hf')
    const first = JSON.parse(readFileSync(path.join(ws, 'runs', straight, 'run.json'), 'utf8')) as { lastEvalLoss: number }
    const r = await cli(['train', '--workspace', ws, '--checkpoint', hf, '--steps', '5', '--batch', '4', '--seq', '64', '--lr', '1e-4', '--warmup', '1', '--eval-every', '5', '--eval-tokens', '2048', '--seed', '7', '--json'], env)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const out = JSON.parse(r.stdout) as { firstEvalLoss: number; evalLoss: number }
    // Same weights, same tokenizer (from the folder), same held-out documents: the curve picks up where it stopped.
    expect(Math.abs(out.firstEvalLoss - first.lastEvalLoss)).toBeLessThan(1e-4)
    expect(out.evalLoss).toBeLessThan(out.firstEvalLoss + 0.05)
  }, 300_000)

  it('trains for a token budget: --tokens rounds up to whole steps of batch x sequence tokens', async () => {
    const hf = path.join(tmp.dir, 'hf')
    const r = await cli(['train', '--workspace', ws, '--checkpoint', hf, '--tokens', '1500', '--batch', '4', '--seq', '64', '--lr', '1e-4', '--warmup', '1', '--eval-every', '100', '--eval-tokens', '1024', '--seed', '7', '--json'], env)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    // 1,500 tokens at 256 a step: 6 steps, 1,536 tokens.
    expect(JSON.parse(r.stdout)).toMatchObject({ steps: 6, tokens: 1536 })
  }, 300_000)

  it('refuses TinyLlama-1.1B on the wasm backend before allocating anything', async () => {
    const r = await cli(['train', '--workspace', ws, '--preset', 'tinyllama-1.1b', '--tokenizer', path.join(SHARED_DATA, 'tokenizers/llama2/tokenizer.model'), '--steps', '1', '--backend', 'wasm', '--json'], env)
    expect(r.code).not.toBe(0)
    const { error } = JSON.parse(r.stdout) as { error: { message: string } }
    expect(error.message).toMatch(/4 GiB/)
    expect(error.message).toMatch(/tfjs-node/)
  }, 120_000)
})
