// `npm run bench:train`: our trainer and PyTorch on the same Llama (vocab 4096, hidden 256, 4 layers, 4 heads,
// MLP 688, untied: 5.26M parameters), sequence 256, batch 8, AdamW, in one run on this machine. Reports training
// tokens/s for both, the ratio, GFLOP/s and MFU against the measured fp32 matmul ceiling, forward-only tokens/s,
// generation latency with the KV cache, and peak memory. BENCH_BACKEND picks our backend (default auto);
// CPT_STUDIO_WASM_THREADS the wasm threads. PyTorch runs with Debian's python3-torch (/usr/bin/python3).
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { it } from 'vitest'
import { BackendPreference, TrainInput } from '../src/shared/runs'
import { selectBackend } from '../src/main/model/backend'
import { LlamaModel } from '../src/main/model/llama'
import { presetConfig, parameterCount } from '../src/main/weights/llama-config'
import { AdamW } from '../src/main/train/adamw'
import { Rng } from '../src/main/util/prng'
import { WindowOrder, WindowReader } from '../src/main/train/token-data'
import { Trainer } from '../src/main/train/trainer'

const SHAPE = { vocab: 4096, hidden: 256, layers: 4, heads: 4, kv_heads: 4, mlp: 688, seq: 256, batch: 8 }
const STEPS = Number(process.env.BENCH_STEPS ?? 6)
const WARMUP = 2

/**
 * Training FLOPs per token (the PaLM count): 6 x the parameters that multiply (all but the input embedding, a
 * lookup) plus 12 x layers x hidden x sequence for attention scores and values. 28.4 MFLOP for this shape.
 */
function flopsPerToken(params: number): number {
  return 6 * (params - SHAPE.vocab * SHAPE.hidden) + 12 * SHAPE.layers * SHAPE.hidden * SHAPE.seq
}

function pytorch(threads: number): Record<string, unknown> | { error: string } {
  try {
    const out = execFileSync('/usr/bin/python3', [path.join(__dirname, 'train_reference.py'), JSON.stringify({ ...SHAPE, steps: STEPS, warmup: WARMUP, threads })], { timeout: 1_800_000 }).toString()
    return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>
  } catch (err) {
    return { error: `PyTorch did not run: ${(err as Error).message.split('\n')[0]} (apt-get install python3-torch libopenblas0-openmp)` }
  }
}

it('trains the benchmark Llama with our trainer and with PyTorch', async () => {
  const backend = await selectBackend(BackendPreference.parse(process.env.BENCH_BACKEND ?? 'auto'))
  const config = presetConfig('bench-5m', SHAPE.vocab)
  const params = parameterCount(config)
  const dir = path.join(os.tmpdir(), 'cpt-bench-train')
  mkdirSync(dir, { recursive: true })
  const tokens = 200_000
  const rng = new Rng(1)
  writeFileSync(path.join(dir, 'train.bin'), Uint16Array.from({ length: tokens }, () => rng.int(SHAPE.vocab)))
  const input = TrainInput.parse({ kind: 'train', model: { kind: 'preset', preset: 'bench-5m' }, steps: STEPS + WARMUP, batchSize: SHAPE.batch, seqLen: SHAPE.seq })
  const model = LlamaModel.init(config, 1)
  const optimizer = new AdamW(model.variables(), input.optimizer)
  const reader = new WindowReader(path.join(dir, 'train.bin'), 2, tokens, SHAPE.seq)
  const trainer = new Trainer(model, optimizer, reader, new WindowOrder(1, reader.windows), reader, input, STEPS + WARMUP)
  for (let s = 0; s < WARMUP; s++) trainer.step(s)
  let t0 = performance.now()
  for (let s = WARMUP; s < WARMUP + STEPS; s++) trainer.step(s)
  const trainTps = (trainer.tokensPerStep * STEPS) / ((performance.now() - t0) / 1000)

  const ids = tf.tensor2d(Int32Array.from({ length: SHAPE.batch * SHAPE.seq }, () => rng.int(SHAPE.vocab)), [SHAPE.batch, SHAPE.seq], 'int32')
  tf.tidy(() => model.logits(ids)).dispose()
  t0 = performance.now()
  for (let s = 0; s < STEPS; s++) tf.tidy(() => model.logits(ids)).dataSync()
  const forwardTps = (SHAPE.batch * SHAPE.seq * STEPS) / ((performance.now() - t0) / 1000)
  ids.dispose()

  const prompt = Array.from({ length: 32 }, () => rng.int(SHAPE.vocab))
  const generated: number[] = []
  t0 = performance.now()
  let firstMs = 0
  for await (const id of model.generate(prompt, { maxNewTokens: 64, temperature: 0, stopAtEos: false })) {
    if (generated.length === 0) firstMs = performance.now() - t0
    generated.push(id)
  }
  const genMsPerToken = (performance.now() - t0 - firstMs) / Math.max(1, generated.length - 1)
  reader.close()
  optimizer.dispose()
  model.dispose()

  // The ceiling of our backend's own fp32 matmul (1024 x 1024, plain 2-D: the fastest path it has).
  const a = tf.randomNormal([1024, 1024])
  const b = tf.randomNormal([1024, 1024])
  tf.matMul(a, b).dispose()
  t0 = performance.now()
  for (let i = 0; i < 10; i++) tf.matMul(a, b).dataSync()
  const backendMatmulGflops = (10 * 2 * 1024 ** 3) / ((performance.now() - t0) / 1000) / 1e9
  a.dispose()
  b.dispose()
  const peakRssMB = process.resourceUsage().maxRSS / 1024

  const threads = os.availableParallelism()
  const torch = pytorch(threads)
  const ceiling = 'matmulGflops' in torch ? (torch.matmulGflops as Record<string, number>)[String(threads)]! : null
  const fpt = flopsPerToken(params)
  const ours = { backend: backend.name, threads: backend.threads, backendMatmulGflops, trainTokensPerSec: trainTps, gflops: (trainTps * fpt) / 1e9, mfu: ceiling ? (trainTps * fpt) / 1e9 / ceiling : null, forwardTokensPerSec: forwardTps, generation: { promptTokens: prompt.length, firstTokenMs: firstMs, msPerToken: genMsPerToken }, peakRssMB }
  const ref = 'trainTokensPerSec' in torch ? { ...torch, gflops: ((torch.trainTokensPerSec as number) * fpt) / 1e9, mfu: ceiling ? ((torch.trainTokensPerSec as number) * fpt) / 1e9 / ceiling : null } : torch
  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} x${threads}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GB, ${os.platform()}`,
    shape: SHAPE,
    parameters: params,
    flopsPerToken: fpt,
    matmulCeilingGflops: ceiling,
    ours,
    pytorch: ref,
    ratio: 'trainTokensPerSec' in torch ? trainTps / (torch.trainTokensPerSec as number) : null,
  }
  console.log(JSON.stringify(result, null, 2))
  mkdirSync(path.join(__dirname, 'results'), { recursive: true })
  writeFileSync(path.join(__dirname, 'results', `train-${result.date.slice(0, 10)}-${backend.name}-${backend.threads}t.json`), JSON.stringify(result, null, 2) + '\n')
})
