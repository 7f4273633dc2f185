// What the Runs view offers for a new run: presets, the workspace tokenizer, tokenizers and checkpoints under models/.
import { existsSync, promises as fs } from 'node:fs'
import path from 'node:path'
import type { RunOptions } from '../../shared/runs'
import { toErrorInfo } from '../../shared/errors'
import { workspaceTokenizerPath } from '../tokenizer/workspace-tokenizer'
import { PRESETS, type PresetSpec } from '../weights/llama-config'

async function subfolders(dir: string): Promise<string[]> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => path.join(dir, d.name))
  } catch {
    return []
  }
}

export async function runOptions(workspaceDir: string): Promise<RunOptions> {
  const presets = Object.entries(PRESETS as Record<string, PresetSpec>).map(([name, spec]) => ({ name, description: spec.description, vocabSize: spec.vocabSize ?? null }))
  let defaultTokenizer: RunOptions['defaultTokenizer']
  try {
    defaultTokenizer = { path: await workspaceTokenizerPath(workspaceDir), problem: null }
  } catch (err) {
    defaultTokenizer = { path: null, problem: toErrorInfo(err).message }
  }
  const models = path.join(workspaceDir, 'models')
  const tokenizers = (await subfolders(path.join(models, 'tokenizers')))
    .filter((d) => ['tokenizer.json', 'tokenizer.model'].some((f) => existsSync(path.join(d, f))))
    .map((p) => ({ name: path.basename(p), path: p }))
  const checkpoints = (await subfolders(models)).filter((d) => existsSync(path.join(d, 'config.json'))).map((p) => ({ name: path.basename(p), path: p }))
  return { presets, defaultTokenizer, tokenizers, checkpoints }
}
