// `npm run bench:kernels`: training-step throughput (forward + backward with tf.variableGrads) on the bench-5m shape.
//   [BENCH_BACKEND=wasm] [BENCH_THREADS=2] [BENCH_STOCK_WASM=1] [BENCH_STEPS=3] [BENCH_BATCH=8] [BENCH_SEQ=256]
//   [BENCH_PROFILE=1 [BENCH_PROFILE_SHAPES=1]] [BENCH_KERNELS='[{"layers":"ops"},{}]']  (several kernel choices are
//   measured in alternation, so that a changing load on a shared machine affects them alike)
import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import { expect, it } from 'vitest'
import { type BackendName, selectBackend } from '../src/main/model/backend'
import type { Kernels } from '../src/main/model/kernels'
import { LlamaModel } from '../src/main/model/llama'
import { Prng } from '../src/main/util/prng'
import { presetConfig } from '../src/main/weights/llama-config'

it('training step tokens/s on bench-5m', async () => {
  const env = process.env
  const selection = await selectBackend((env.BENCH_BACKEND ?? 'wasm') as BackendName, {
    wasmThreads: env.BENCH_THREADS ? Number(env.BENCH_THREADS) : undefined,
    stockWasm: env.BENCH_STOCK_WASM === '1',
  })
  const parsed = JSON.parse(env.BENCH_KERNELS ?? '{}') as Partial<Kernels> | Partial<Kernels>[]
  const variants = Array.isArray(parsed) ? parsed : [parsed]
  const batch = Number(env.BENCH_BATCH ?? 8)
  const seq = Number(env.BENCH_SEQ ?? 256)
  const steps = Number(env.BENCH_STEPS ?? 3)
  const cfg = presetConfig('bench-5m', 4096)
  const rng = new Prng(5)
  const rows = Array.from({ length: batch }, () => Array.from({ length: seq + 1 }, () => rng.int(cfg.vocabSize)))
  const x = tf.tensor2d(rows.map((r) => r.slice(0, seq)), [batch, seq], 'int32')
  const y = tf.tensor2d(rows.map((r) => r.slice(1)), [batch, seq], 'int32')
  const runs = variants.map((kernels, i) => ({ kernels, model: LlamaModel.init(cfg, 1, { kernels, namePrefix: `v${i}/` }), wall: 0, cpu: 0, loss0: 0 }))
  const step = (model: LlamaModel): number => {
    const { value, grads } = tf.variableGrads(() => model.loss(x, y), model.variables())
    const loss = value.dataSync()[0]!
    for (const g of Object.values(grads)) g.dataSync()
    tf.dispose([value, ...Object.values(grads)])
    return loss
  }
  for (const r of runs) r.loss0 = step(r.model)
  for (let i = 0; i < steps; i++) {
    for (const r of runs) {
      const t0 = performance.now()
      const c0 = process.cpuUsage()
      step(r.model)
      const c = process.cpuUsage(c0)
      r.wall += (performance.now() - t0) / 1000
      r.cpu += (c.user + c.system) / 1e6
    }
  }
  for (const r of runs) {
    let profile = ''
    if (env.BENCH_PROFILE === '1') {
      const info = await tf.profile(() => {
        step(r.model)
      })
      const byKernel = new Map<string, number>()
      for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs))
      profile = [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, ms]) => `${k} ${ms.toFixed(0)}ms`).join(', ')
      if (env.BENCH_PROFILE_SHAPES === '1') {
        const byShape = new Map<string, { ms: number; n: number }>()
        for (const k of info.kernels) {
          if (k.name !== 'BatchMatMul' && k.name !== 'Transpose') continue
          const key = `${k.name} ${JSON.stringify(k.inputShapes)}`
          const e = byShape.get(key) ?? { ms: 0, n: 0 }
          e.ms += Number(k.kernelTimeMs)
          e.n++
          byShape.set(key, e)
        }
        for (const [key, e] of [...byShape].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) console.log(`${key} x${e.n}: ${e.ms.toFixed(0)} ms`)
      }
    }
    const tokens = batch * seq * steps
    // On a shared machine wall time follows the load; tokens per CPU-second (all threads) much less so.
    console.log(JSON.stringify({
      backend: selection.name,
      detail: selection.tried.at(-1)?.reason,
      kernels: r.model.kernels(),
      batch,
      seq,
      loss0: r.loss0,
      secondsPerStep: +(r.wall / steps).toFixed(3),
      tokensPerSec: +(tokens / r.wall).toFixed(1),
      tokensPerCpuSec: +(tokens / r.cpu).toFixed(1),
      load: os.loadavg()[0]!.toFixed(1),
      profile,
    }))
    expect(Number.isFinite(r.loss0)).toBe(true)
    r.model.dispose()
  }
  tf.dispose([x, y])
})
