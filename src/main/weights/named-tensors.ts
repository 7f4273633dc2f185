// The in-memory weights contract between the file formats and the model: Hugging Face names and layout.
// Data is row-major float32; a Linear weight is [out, in], as in PyTorch.
import { AppError } from '../../shared/errors'

export interface NamedTensor {
  shape: number[]
  data: Float32Array
}
export type NamedTensors = Map<string, NamedTensor>

export function elementCount(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  return n
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

/** Checks that a tensor holds a Float32Array whose length matches its shape. */
export function checkNamedTensor(name: string, t: NamedTensor): void {
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new AppError('invalid_input', `Tensor ${name} has an invalid shape ${JSON.stringify(t.shape)}`)
  if (!(t.data instanceof Float32Array)) throw new AppError('invalid_input', `Tensor ${name} must hold a Float32Array`)
  if (t.data.length !== elementCount(t.shape)) {
    throw new AppError('invalid_input', `Tensor ${name} has shape ${formatShape(t.shape)} (${elementCount(t.shape)} values) but holds ${t.data.length}`)
  }
}
