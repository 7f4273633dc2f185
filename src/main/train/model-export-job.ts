// The model-export job: a run's newest checkpoint as a Hugging Face folder (config, safetensors, tokenizer files)
// or as one GGUF file with its vocabulary, ready for llama.cpp. An existing output is never overwritten.
import { existsSync, promises as fs } from 'node:fs'
import path from 'node:path'
import type { ModelExportInput } from '../../shared/runs'
import { AppError } from '../../shared/errors'
import type { JobContext, JobKindSpec } from '../jobs/worker-protocol'
import { writeGguf } from '../weights/gguf'
import { saveHfCheckpoint } from '../weights/safetensors'
import { loadRunCheckpoint } from './run-checkpoint'

export const modelExport: JobKindSpec<ModelExportInput, never> = {
  title: (input) => `Export run ${input.runId} as ${input.format === 'gguf' ? `GGUF ${input.dtype.toUpperCase()}` : 'safetensors'}`,
  resumable: false,
  lane: 'quick',
  run: runExport,
}

export interface ModelExportResult {
  out: string
  bytes: number
  step: number
}

async function runExport(input: ModelExportInput, ctx: JobContext<never>): Promise<ModelExportResult> {
  const ckpt = await loadRunCheckpoint(ctx.workspaceDir, input.runId)
  const suffix = input.format === 'gguf' ? `-${input.dtype}.gguf` : ''
  const out = path.resolve(input.out ?? path.join(ctx.workspaceDir, 'exports', `${input.runId}-step-${ckpt.step}${suffix}`))
  if (existsSync(out)) throw new AppError('conflict', `${out} already exists: choose another name.`, { path: out })
  await fs.mkdir(path.dirname(out), { recursive: true })
  ctx.progress({ done: 0, total: 1, unit: 'files', message: `Writing ${path.basename(out)}` })
  if (input.format === 'gguf') {
    const tmp = `${out}.partial`
    try {
      await writeGguf(tmp, ckpt.config, ckpt.tensors, { dtype: input.dtype === 'f16' ? 'F16' : 'F32', tokenizer: ckpt.tokenizer.ggufVocab(), name: `cpt-studio ${input.runId} step ${ckpt.step}` })
      await fs.rename(tmp, out)
    } finally {
      await fs.rm(tmp, { force: true })
    }
  } else {
    const tmp = `${out}.partial`
    await fs.rm(tmp, { recursive: true, force: true })
    await saveHfCheckpoint(tmp, ckpt.config, ckpt.tensors, { dtype: input.dtype === 'f16' ? 'F16' : 'F32' })
    for (const f of await fs.readdir(ckpt.tokenizerDir)) await fs.copyFile(path.join(ckpt.tokenizerDir, f), path.join(tmp, f))
    await fs.rename(tmp, out)
  }
  const bytes = await sizeOf(out)
  ctx.log(`Wrote ${out} (${bytes} bytes) from ${ckpt.dir}`)
  return { out, bytes, step: ckpt.step }
}

async function sizeOf(p: string): Promise<number> {
  const st = await fs.stat(p)
  if (!st.isDirectory()) return st.size
  let total = 0
  for (const f of await fs.readdir(p)) total += (await fs.stat(path.join(p, f))).size
  return total
}
