// The workspace's default tokenizer: the setting names a preset ("llama2": TinyLlama's Llama-2 SentencePiece
// model) or a path inside the workspace. Presets are looked up where a user keeps such files; none ships with the app.
import { existsSync, readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { AppError } from '../../shared/errors'
import { Workspace } from '../workspace/workspace'

/** Hugging Face repositories whose tokenizer.model is the Llama-2 one (TinyLlama reuses it byte for byte). */
const LLAMA2_REPOS = ['TinyLlama--TinyLlama-1.1B-Chat-v1.0', 'TinyLlama--TinyLlama_v1.1', 'TinyLlama--TinyLlama-1.1B-intermediate-step-1431k-3T', 'meta-llama--Llama-2-7b-hf']

/** Where the preset's files may be, in order: the workspace, $CPT_STUDIO_TOKENIZERS, the Hugging Face cache. */
export function presetCandidates(workspaceDir: string, preset: string): string[] {
  const out = [path.join(workspaceDir, 'models', 'tokenizers', preset)]
  if (process.env.CPT_STUDIO_TOKENIZERS) out.push(path.join(process.env.CPT_STUDIO_TOKENIZERS, preset))
  if (preset === 'llama2') {
    const hub = process.env.HF_HUB_CACHE ?? path.join(process.env.HF_HOME ?? path.join(os.homedir(), '.cache', 'huggingface'), 'hub')
    for (const repo of LLAMA2_REPOS) {
      const snapshots = path.join(hub, `models--${repo}`, 'snapshots')
      if (existsSync(snapshots)) for (const s of readdirSync(snapshots)) out.push(path.join(snapshots, s))
    }
  }
  return out
}

/** The file or folder of the workspace's tokenizer; a clear error saying where to put it when it is missing. */
export async function workspaceTokenizerPath(workspaceDir: string): Promise<string> {
  const ws = await Workspace.open(workspaceDir)
  const setting = ws.file.settings.tokenizer
  if (setting !== 'llama2') {
    const p = path.resolve(ws.dir, setting)
    if (!existsSync(p)) throw new AppError('not_found', `The workspace tokenizer ${p} does not exist: fix the tokenizer setting.`)
    return p
  }
  for (const dir of presetCandidates(ws.dir, setting)) {
    for (const f of ['tokenizer.model', 'tokenizer.json']) if (existsSync(path.join(dir, f))) return path.join(dir, f)
  }
  throw new AppError(
    'not_found',
    `The default Llama-2 tokenizer is not on this machine. Put TinyLlama's tokenizer.model (huggingface.co/TinyLlama/TinyLlama-1.1B-Chat-v1.0) in ${path.join(ws.dir, 'models', 'tokenizers', 'llama2')}, or choose a tokenizer file for the run.`,
  )
}
