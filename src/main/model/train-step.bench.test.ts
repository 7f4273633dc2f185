// Training-step throughput (forward + backward with tf.variableGrads) on the bench-5m shape; skipped unless BENCH=1.
// BENCH=1 [BENCH_BACKEND=wasm] [BENCH_THREADS=2] [BENCH_STOCK_WASM=1] [BENCH_KERNELS='{"linear":"stock"}'] [BENCH_STEPS=3]
//   npx vitest run src/main/model/train-step.bench.test.ts
import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import { expect, it } from 'vitest'
import { presetConfig } from '../weights/llama-config'
import { type BackendName, selectBackend } from './backend'
import type { Kernels } from './kernels'
import { LlamaModel } from './llama'
import { Prng } from './prng'

const BENCH = process.env.BENCH === '1'

it.skipIf(!BENCH)('training step tokens/s on bench-5m', { timeout: 3600_000 }, async () => {
  const env = process.env
  const selection = await selectBackend((env.BENCH_BACKEND ?? 'wasm') as BackendName, {
    wasmThreads: env.BENCH_THREADS ? Number(env.BENCH_THREADS) : undefined,
    stockWasm: env.BENCH_STOCK_WASM === '1',
  })
  const kernels = JSON.parse(env.BENCH_KERNELS ?? '{}') as Partial<Kernels>
  const batch = Number(env.BENCH_BATCH ?? 8)
  const seq = Number(env.BENCH_SEQ ?? 256)
  const steps = Number(env.BENCH_STEPS ?? 3)
  const cfg = presetConfig('bench-5m', 4096)
  const model = LlamaModel.init(cfg, 1, { kernels })
  const rng = new Prng(5)
  const ids = Int32Array.from({ length: batch * (seq + 1) }, () => Math.floor(rng.next() * cfg.vocabSize))
  const x = tf.tensor2d(Array.from({ length: batch }, (_, i) => Array.from(ids.subarray(i * (seq + 1), i * (seq + 1) + seq))), [batch, seq], 'int32')
  const y = tf.tensor2d(Array.from({ length: batch }, (_, i) => Array.from(ids.subarray(i * (seq + 1) + 1, (i + 1) * (seq + 1)))), [batch, seq], 'int32')
  const vars = model.variables()
  const step = (): number => {
    const { value, grads } = tf.variableGrads(() => model.loss(x, y), vars)
    const loss = value.dataSync()[0]!
    for (const g of Object.values(grads)) g.dataSync()
    tf.dispose([value, ...Object.values(grads)])
    return loss
  }
  const loss0 = step()
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  for (let i = 0; i < steps; i++) step()
  const seconds = (performance.now() - t0) / 1000 / steps
  const cpu = process.cpuUsage(c0)
  const cpuSeconds = (cpu.user + cpu.system) / 1e6 / steps
  const tokensPerSec = (batch * seq) / seconds
  // On a shared machine wall time varies with the load; tokens per CPU-second (all threads) does much less.
  const tokensPerCpuSec = (batch * seq) / cpuSeconds
  let profile = ''
  if (env.BENCH_PROFILE === '1') {
    const info = await tf.profile(() => {
      step()
    })
    const byKernel = new Map<string, number>()
    for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs))
    profile = [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, ms]) => `${k} ${ms.toFixed(0)}ms`).join(', ')
  }
  console.log(JSON.stringify({ backend: selection.name, detail: selection.tried.at(-1)?.reason, kernels: model.kernels(), batch, seq, loss0, secondsPerStep: +seconds.toFixed(3), tokensPerSec: +tokensPerSec.toFixed(1), cpuSecondsPerStep: +cpuSeconds.toFixed(3), tokensPerCpuSec: +tokensPerCpuSec.toFixed(1), load: os.loadavg()[0]!.toFixed(1), profile }))
  expect(Number.isFinite(loss0)).toBe(true)
  model.dispose()
  tf.dispose([x, y])
})
