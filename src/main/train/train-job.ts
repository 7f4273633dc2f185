// The train job's entry: its title and resumability for the runner; the work (TF.js) loads only in the worker.
import path from 'node:path'
import type { TrainInput } from '../../shared/runs'
import type { JobKindSpec } from '../jobs/worker-protocol'

export function trainTitle(input: TrainInput): string {
  return `Train ${input.name ?? (input.model.kind === 'preset' ? input.model.preset : path.basename(input.model.path))}`
}

export const train: JobKindSpec<TrainInput, { runId: string }> = {
  title: trainTitle,
  resumable: true,
  run: async (input, ctx) => (await import('./training')).runTraining(input, ctx),
}
