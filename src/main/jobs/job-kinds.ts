// The registry of job kinds: the runner reads titles and resumability, the worker runs them.
import type { JobKind } from '../../shared/jobs'
import type { JobKindSpec } from './worker-protocol'
import { corpusExport } from '../corpus/export-job'
import { corpusImport } from '../corpus/import-job'
import { modelExport } from '../train/model-export-job'
import { sample } from '../train/sample-job'
import { train } from '../train/train-job'
import { workspaceCheck } from './workspace-check'

// Inputs are validated by the contract before a job is created, so the registry can erase them.
const specs: Record<JobKind, JobKindSpec<never, never>> = {
  'workspace-check': workspaceCheck,
  'corpus-import': corpusImport,
  'corpus-export': corpusExport,
  train,
  sample,
  'model-export': modelExport,
}

export function jobKind(kind: string): JobKindSpec<never, never> | undefined {
  return Object.hasOwn(specs, kind) ? specs[kind as JobKind] : undefined
}
