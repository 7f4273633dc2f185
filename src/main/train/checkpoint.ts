// Checkpoints of a run: model (HF layout), optimizer moments and trainer state in checkpoints/step-N,
// each written to a temporary folder and renamed into place, with latest.json pointing at the newest.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { readJsonIfExists, writeJsonAtomic } from '../util/atomic-write'
import type { LlamaConfig } from '../weights/llama-config'
import type { NamedTensors } from '../weights/named-tensors'
import { loadHfCheckpoint, readSafetensors, saveHfCheckpoint, writeSafetensors } from '../weights/safetensors'

export const TrainerState = z.object({
  /** Optimizer updates done. */
  step: z.number().int().nonnegative(),
  tokens: z.number().nonnegative(),
  /** The data position: sequences drawn so far, and the seed their order derives from (the whole RNG state). */
  sequences: z.number().int().nonnegative(),
  seed: z.number().int().nonnegative(),
  /** Wall-clock seconds trained before this checkpoint, so charts continue. */
  elapsed: z.number().nonnegative(),
})
export type TrainerState = z.infer<typeof TrainerState>

const LATEST = 'latest.json'
const STATE = 'trainer-state.json'
const OPTIMIZER = 'optimizer.safetensors'

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints')
}

export async function saveCheckpoint(runDir: string, c: { config: LlamaConfig; model: NamedTensors; optimizer: NamedTensors; state: TrainerState; keep: number }): Promise<string> {
  const root = checkpointsDir(runDir)
  const name = `step-${String(c.state.step).padStart(7, '0')}`
  const final = path.join(root, name)
  const tmp = path.join(root, `.${name}.tmp`)
  await fs.rm(tmp, { recursive: true, force: true })
  await fs.mkdir(tmp, { recursive: true })
  await saveHfCheckpoint(tmp, c.config, c.model)
  await writeSafetensors(path.join(tmp, OPTIMIZER), c.optimizer)
  await writeJsonAtomic(path.join(tmp, STATE), c.state)
  await fs.rm(final, { recursive: true, force: true })
  await fs.rename(tmp, final)
  await writeJsonAtomic(path.join(root, LATEST), { step: c.state.step, dir: name })
  await prune(root, c.keep, name)
  return final
}

/** Keeps the newest `keep` checkpoints (and always the one just written). */
async function prune(root: string, keep: number, current: string): Promise<void> {
  const names = (await fs.readdir(root)).filter((n) => /^step-\d+$/.test(n)).sort()
  for (const n of names.slice(0, Math.max(0, names.length - keep))) {
    if (n !== current) await fs.rm(path.join(root, n), { recursive: true, force: true })
  }
}

export async function listCheckpoints(runDir: string): Promise<{ step: number; path: string }[]> {
  const root = checkpointsDir(runDir)
  let names: string[]
  try {
    names = await fs.readdir(root)
  } catch {
    return []
  }
  return names
    .filter((n) => /^step-\d+$/.test(n))
    .sort()
    .map((n) => ({ step: Number(n.slice(5)), path: path.join(root, n) }))
}

/** The newest complete checkpoint's folder, or null. */
export async function latestCheckpoint(runDir: string): Promise<string | null> {
  const latest = (await readJsonIfExists(path.join(checkpointsDir(runDir), LATEST))) as { dir?: string } | undefined
  return latest?.dir ? path.join(checkpointsDir(runDir), latest.dir) : null
}

export async function loadCheckpoint(dir: string): Promise<{ config: LlamaConfig; model: NamedTensors; optimizer: NamedTensors; state: TrainerState }> {
  const { config, tensors } = await loadHfCheckpoint(dir)
  const { tensors: optimizer } = await readSafetensors(path.join(dir, OPTIMIZER))
  const state = TrainerState.parse(await readJsonIfExists(path.join(dir, STATE)))
  return { config, model: tensors, optimizer, state }
}
