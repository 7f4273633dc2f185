// Test assertions shared by the weight-format tests: the error a promise rejects with, and bitwise-equal float arrays.
import { expect } from 'vitest'
import type { NamedTensors } from '../../src/main/weights/named-tensors'

/** The error `p` rejects with; fails when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p
  } catch (err) {
    return err as { code: string; message: string }
  }
  throw new Error('expected a rejection')
}

/** Bitwise equality of float arrays, reporting the first difference (much faster than a deep equality). */
export function expectSameFloats(actual: Float32Array | undefined, expected: Float32Array, what: string): void {
  expect(actual?.length, what).toBe(expected.length)
  const i = actual!.findIndex((v, j) => !Object.is(v, expected[j]))
  expect(i === -1 ? 'equal' : `differs at ${i}: ${actual![i]} vs ${expected[i]}`, what).toBe('equal')
}

/** Same names in the same order, shapes and bit-identical data (after `round`); reports the first difference. */
export function expectSameTensors(expected: NamedTensors, actual: NamedTensors, round?: (x: Float32Array, shape: number[]) => Float32Array): void {
  expect([...actual.keys()]).toEqual([...expected.keys()])
  for (const [name, t] of expected) {
    const u = actual.get(name)!
    expect(u.shape, name).toEqual(t.shape)
    expectSameFloats(u.data, round ? round(t.data, t.shape) : t.data, name)
  }
}
