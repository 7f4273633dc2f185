// A run's newest checkpoint and its tokenizer, for sampling and export.
import path from 'node:path'
import { AppError } from '../../shared/errors'
import { type Tokenizer, loadTokenizer } from '../tokenizer/tokenizer'
import type { LlamaConfig } from '../weights/llama-config'
import type { NamedTensors } from '../weights/named-tensors'
import { loadHfCheckpoint } from '../weights/safetensors'
import { latestCheckpoint } from './checkpoint'
import { runDir } from './run-files'

export interface RunCheckpoint {
  dir: string
  step: number
  config: LlamaConfig
  tensors: NamedTensors
  tokenizer: Tokenizer
  tokenizerDir: string
}

export async function loadRunCheckpoint(workspaceDir: string, runId: string): Promise<RunCheckpoint> {
  const run = runDir(workspaceDir, runId)
  const dir = await latestCheckpoint(run)
  if (!dir) throw new AppError('not_found', `Run ${runId} has no checkpoint yet: let it train until its first checkpoint.`)
  const { config, tensors } = await loadHfCheckpoint(dir)
  const tokenizerDir = path.join(run, 'tokenizer')
  return { dir, step: Number(path.basename(dir).slice(5)), config, tensors, tokenizer: await loadTokenizer(tokenizerDir), tokenizerDir }
}
