// Sampling (the sample job's work, loaded only in the worker): text from a run's newest checkpoint, generated with the KV cache in a worker process.
import type { SampleInput, SampleResult } from '../../shared/runs'
import { type JobContext, throwIfStopped } from '../jobs/worker-protocol'
import { selectBackend } from '../model/backend'
import { LlamaModel } from '../model/llama'
import { loadRunCheckpoint } from './run-checkpoint'

export async function runSample(input: SampleInput, ctx: JobContext<never>): Promise<SampleResult> {
  await selectBackend('auto')
  const ckpt = await loadRunCheckpoint(ctx.workspaceDir, input.runId)
  const { tokenizer } = ckpt
  const prompt = tokenizer.encode(input.prompt, { bos: tokenizer.bosId !== null })
  const model = LlamaModel.fromNamedTensors(ckpt.config, ckpt.tensors)
  const ids: number[] = []
  const started = Date.now()
  try {
    ctx.progress({ done: 0, total: input.maxTokens, unit: 'tokens', message: `Generating from step ${ckpt.step}` })
    for await (const id of model.generate(prompt, { maxNewTokens: input.maxTokens, temperature: input.temperature, topK: input.topK, seed: input.seed, signal: ctx.signal })) {
      ids.push(id)
      ctx.progress({ done: ids.length })
    }
    throwIfStopped(ctx.signal)
  } finally {
    model.dispose()
  }
  const text = tokenizer.decode(ids)
  return { text, promptTokens: prompt.length, newTokens: ids.length, msPerToken: ids.length ? (Date.now() - started) / ids.length : 0, checkpointStep: ckpt.step }
}
