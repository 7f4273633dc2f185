import * as tf from '@tensorflow/tfjs'
import { it } from 'vitest'
import { selectBackend } from './backend'
it('micro', { timeout: 600_000 }, async () => {
  const sel = await selectBackend('wasm', { wasmThreads: Number(process.env.T ?? 1) })
  console.log(sel.tried.at(-1)?.reason)
  const time = (name: string, flops: number, f: () => tf.Tensor | tf.Tensor[], n = 6) => {
    tf.dispose(f())
    const c0 = process.cpuUsage(); const t0 = performance.now()
    for (let i = 0; i < n; i++) { const r = f(); (Array.isArray(r) ? r : [r]).forEach((x) => x.dataSync()); tf.dispose(r) }
    const dt = (performance.now() - t0) / n; const c = process.cpuUsage(c0); const cpu = (c.user + c.system) / 1000 / n
    console.log(name.padEnd(40), dt.toFixed(2), 'ms wall', cpu.toFixed(2), 'ms cpu', flops ? (flops / cpu / 1e6).toFixed(1) + ' GF/s cpu' : '')
  }
  const r = (s: number[]) => tf.randomNormal(s)
  const dy = r([2048, 4096]), x = r([2048, 256]), m = r([2048, 688])
  time('T 2048x4096', 0, () => tf.transpose(dy))
  time('T 2048x256', 0, () => tf.transpose(x))
  time('T 2048x688', 0, () => tf.transpose(m))
  time('dataSync 2048x4096', 0, () => { dy.dataSync(); return tf.scalar(0) })
})
