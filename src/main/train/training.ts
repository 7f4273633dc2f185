// A training run (the train job's work, loaded only in the worker): picks a backend, resolves the tokenizer, tokenizes the corpus once, checks memory,
// then trains with periodic evaluation and atomic checkpoints. A resumed attempt (after a pause or kill -9)
// continues from the newest checkpoint with the same batches, so the loss curve continues unchanged.
import path from 'node:path'
import type { TrainInput } from '../../shared/runs'
import type { RunSummary } from '../../shared/runs'
import { AppError } from '../../shared/errors'
import { type JobContext, JobStopped, throwIfStopped } from '../jobs/worker-protocol'
import { selectBackend } from '../model/backend'
import { LlamaModel } from '../model/llama'
import { checkFits, estimateTrainingMemory } from '../model/memory'
import { type LlamaConfig, parameterCount, presetConfig } from '../weights/llama-config'
import { loadHfCheckpoint } from '../weights/safetensors'
import { AdamW } from './adamw'
import { latestCheckpoint, listCheckpoints, loadCheckpoint, saveCheckpoint } from './checkpoint'
import { MetricsLog, readRunSummary, runDir, writeRunSummary } from './run-files'
import { resolveRunTokenizer } from './run-tokenizer'
import { WindowOrder, WindowReader, prepareTokenFiles } from './token-data'
import { trainTitle } from './train-job'
import { Trainer } from './trainer'

export interface TrainResult {
  runId: string
  steps: number
  tokens: number
  loss: number | null
  evalLoss: number | null
  firstEvalLoss: number | null
  tokensPerSec: number | null
  backend: string
  checkpoint: string | null
}

export async function runTraining(input: TrainInput, ctx: JobContext<{ runId: string }>): Promise<TrainResult> {
  const runId = ctx.jobId
  const dir = runDir(ctx.workspaceDir, runId)
  await ctx.saveState({ runId })
  const previous = await readRunSummary(dir)
  const now = new Date().toISOString()

  const backend = await selectBackend(input.backend)
  for (const t of backend.tried) ctx.log(`Backend ${t.name}: ${t.ok ? 'selected' : `not used (${t.reason})`}`)

  ctx.progress({ done: 0, unit: 'steps', message: 'Loading the tokenizer' })
  const baseCheckpoint = input.model.kind === 'checkpoint' ? await loadHfCheckpoint(input.model.path) : null
  const tokenizer = await resolveRunTokenizer(input, ctx, dir)
  const ids = { ...(tokenizer.bosId !== null ? { bosTokenId: tokenizer.bosId } : {}), ...(tokenizer.eosId !== null ? { eosTokenId: tokenizer.eosId } : {}) }
  const config: LlamaConfig = baseCheckpoint?.config ?? presetConfig((input.model as { preset: string }).preset, tokenizer.vocabSize, ids)
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new AppError('invalid_input', `The tokenizer ${tokenizer.name} has ${tokenizer.vocabSize} tokens but the model's embedding has ${config.vocabSize}: use the checkpoint's own tokenizer.`)
  }
  const tokensPerStep = input.batchSize * input.seqLen * input.gradAccum
  const totalSteps = input.steps ?? Math.max(1, Math.ceil(input.tokens! / tokensPerStep))

  // Refuse before allocating anything when the run cannot fit.
  const memory = estimateTrainingMemory(config, { batch: input.batchSize, seq: input.seqLen })
  const fits = checkFits(memory, backend.name)

  const summary: RunSummary = {
    id: runId,
    name: input.name ?? trainTitle(input),
    status: 'preparing',
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
    model: { source: input.model, preset: input.model.kind === 'preset' ? input.model.preset : null, parameters: parameterCount(config) },
    tokenizer: { name: tokenizer.name, kind: tokenizer.kind, vocabSize: tokenizer.vocabSize },
    backend: { name: backend.name, tried: backend.tried },
    totalSteps,
    tokensPerStep,
    step: previous?.step ?? 0,
    tokens: previous?.tokens ?? 0,
    trainTokensAvailable: 0,
    heldOutTokens: 0,
    lastLoss: previous?.lastLoss ?? null,
    lastEvalLoss: previous?.lastEvalLoss ?? null,
    firstEvalLoss: previous?.firstEvalLoss ?? null,
    memory: { totalBytes: memory.totalBytes, limitBytes: fits.limitBytes },
    error: null,
    checkpoints: await listCheckpoints(dir),
  }
  const save = async (patch: Partial<RunSummary>): Promise<void> => {
    Object.assign(summary, patch, { updatedAt: new Date().toISOString() })
    await writeRunSummary(dir, summary)
  }
  await save({})

  try {
    const files = await prepareTokenFiles({
      workspaceDir: ctx.workspaceDir,
      filter: input.data,
      tokenizer,
      heldOutFraction: input.heldOutFraction,
      trainTokensWanted: totalSteps * tokensPerStep + 1,
      heldOutTokensWanted: input.evalTokens + 1,
      seed: input.seed,
      dir: path.join(dir, 'data'),
      signal: ctx.signal,
      progress: (documents, tokens) => ctx.progress({ done: 0, total: totalSteps, message: `Tokenizing the corpus: ${documents} documents, ${tokens} tokens` }),
    })
    ctx.log(`Training data: ${files.trainTokens} tokens from ${files.documents - files.heldOutDocuments} documents; held out: ${files.heldOutTokens} tokens from ${files.heldOutDocuments} documents`)
    await save({ trainTokensAvailable: files.trainTokens, heldOutTokens: files.heldOutTokens })

    const trainReader = new WindowReader(path.join(files.dir, 'train.bin'), files.bytesPerToken, files.trainTokens, input.seqLen)
    const heldOutReader = new WindowReader(path.join(files.dir, 'heldout.bin'), files.bytesPerToken, files.heldOutTokens, input.seqLen)
    const order = new WindowOrder(input.seed, trainReader.windows)
    if (files.trainTokens < totalSteps * tokensPerStep) ctx.log(`The corpus holds ${files.trainTokens} training tokens; the run needs ${totalSteps * tokensPerStep}: it will go over the data ${(totalSteps * tokensPerStep / files.trainTokens).toFixed(1)} times.`)

    const resumeFrom = await latestCheckpoint(dir)
    const restored = resumeFrom ? await loadCheckpoint(resumeFrom) : null
    const model = restored
      ? LlamaModel.fromNamedTensors(config, restored.model)
      : baseCheckpoint
        ? LlamaModel.fromNamedTensors(config, baseCheckpoint.tensors)
        : LlamaModel.init(config, input.seed)
    const optimizer = new AdamW(model.variables(), input.optimizer)
    if (restored) optimizer.restore(restored.optimizer)
    const trainer = new Trainer(model, optimizer, trainReader, order, heldOutReader, input, totalSteps)

    let step = restored?.state.step ?? 0
    const elapsedBefore = restored?.state.elapsed ?? 0
    if (restored) ctx.log(`Resuming at step ${step} from ${path.basename(resumeFrom!)}`)
    const metrics = await MetricsLog.open(dir, step)
    const startedAt = Date.now()
    const elapsed = (): number => elapsedBefore + (Date.now() - startedAt) / 1000
    let lastCheckpoint: string | null = resumeFrom
    let rate: number | null = null
    const checkpoint = async (): Promise<void> => {
      lastCheckpoint = await saveCheckpoint(dir, {
        config,
        model: model.toNamedTensors(),
        optimizer: await optimizer.state(),
        state: { step, tokens: step * tokensPerStep, sequences: step * input.batchSize * input.gradAccum, seed: input.seed, elapsed: elapsed() },
        keep: input.keepCheckpoints,
      })
      await save({ checkpoints: await listCheckpoints(dir), step, tokens: step * tokensPerStep })
    }

    await save({ status: 'training' })
    if (step === 0) {
      const evalLoss = trainer.evaluate()
      await metrics.append({ step: 0, tokens: 0, evalLoss, elapsed: elapsed() })
      await save({ firstEvalLoss: evalLoss, lastEvalLoss: evalLoss })
    }
    try {
      while (step < totalSteps) {
        if (ctx.signal.aborted) {
          await checkpoint()
          await save({ status: 'stopped' })
          throw new JobStopped()
        }
        const t0 = Date.now()
        const r = trainer.step(step)
        step++
        const secs = (Date.now() - t0) / 1000
        const instant = tokensPerStep / Math.max(secs, 1e-6)
        rate = rate === null ? instant : 0.8 * rate + 0.2 * instant
        await metrics.append({ step, tokens: step * tokensPerStep, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, tokensPerSec: instant, elapsed: elapsed() })
        summary.lastLoss = r.loss
        ctx.progress({ done: step, total: totalSteps, unit: 'steps', message: `loss ${r.loss.toFixed(3)} · ${Math.round(rate)} tokens/s` })
        if (step % input.evalEvery === 0 || step === totalSteps) {
          const evalLoss = trainer.evaluate()
          await metrics.append({ step, tokens: step * tokensPerStep, evalLoss, elapsed: elapsed() })
          await save({ lastEvalLoss: evalLoss, step, tokens: step * tokensPerStep })
        }
        if (step % input.checkpointEvery === 0 || step === totalSteps) await checkpoint()
      }
    } finally {
      await metrics.close()
      trainReader.close()
      heldOutReader.close()
      optimizer.dispose()
      model.dispose()
    }
    throwIfStopped(ctx.signal)
    await save({ status: 'finished' })
    return {
      runId,
      steps: step,
      tokens: step * tokensPerStep,
      loss: summary.lastLoss,
      evalLoss: summary.lastEvalLoss,
      firstEvalLoss: summary.firstEvalLoss,
      tokensPerSec: rate,
      backend: backend.name,
      checkpoint: lastCheckpoint,
    }
  } catch (err) {
    if (!(err instanceof JobStopped)) await save({ status: 'failed', error: err instanceof Error ? err.message : String(err) })
    throw err
  }
}
