// The sample job's entry: title for the runner; generation (TF.js) loads only in the worker.
import type { SampleInput } from '../../shared/runs'
import type { JobKindSpec } from '../jobs/worker-protocol'

export const sample: JobKindSpec<SampleInput, never> = {
  title: (input) => `Sample from run ${input.runId}`,
  resumable: false,
  lane: 'quick',
  run: async (input, ctx) => (await import('./sampling')).runSample(input, ctx),
}
