// The TF.js wasm backend in Node: file paths that survive bundling, the multi-threaded SIMD build (which tfjs
// refuses to use in Node), and kernel fixes that keep slicing cheap. Only backend.ts calls this.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { fnv1a } from '../util/prng'

const requireCjs = createRequire(__filename)

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm')

/** What the wasm initialisation ended with. */
export interface WasmInit {
  /** XNNPACK threads in use (1 = the single-threaded build). */
  threads: number
  /** Why fewer threads than asked are used, when that is so. */
  note: string | null
}

let wasmPackage: WasmPackage | null = null

/** Loads @tensorflow/tfjs-backend-wasm as CommonJS, so it registers its kernels on the same tfjs-core as ours. */
export function loadWasmPackage(): WasmPackage {
  if (!wasmPackage) {
    wasmPackage = requireCjs('@tensorflow/tfjs-backend-wasm') as WasmPackage
    wasmPackage.setWasmPaths(wasmDistDir() + path.sep)
  }
  return wasmPackage
}

/**
 * The package's dist folder (where the .wasm files are), resolved through Node's resolver so it works from a
 * bundled CommonJS main process. Inside a packaged Electron app the files must be unpacked from the asar
 * (asarUnpack `node_modules/@tensorflow/tfjs-backend-wasm/**`): worker threads cannot read inside it.
 */
export function wasmDistDir(): string {
  const dir = path.dirname(requireCjs.resolve('@tensorflow/tfjs-backend-wasm'))
  const unpacked = dir.replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`)
  return unpacked !== dir && existsSync(unpacked) ? unpacked : dir
}

/**
 * Makes `wasm` the active backend with `threads` XNNPACK threads. More than one thread uses the threaded SIMD
 * build; when it cannot start, the single-threaded SIMD build runs instead and `note` says why.
 */
export async function initWasm(threads: number, opts: { patchKernels?: boolean } = {}): Promise<WasmInit> {
  const pkg = loadWasmPackage()
  if (opts.patchKernels !== false) patchWasmKernels()
  // Once started, the backend keeps its tensors: switching back must not re-create it.
  if (started) {
    if (!(await setBackendQuietly('wasm'))) throw new Error('the wasm backend failed to initialise')
    return started
  }
  started = await startWasm(pkg, threads)
  return started
}

let started: WasmInit | null = null

async function startWasm(pkg: WasmPackage, threads: number): Promise<WasmInit> {
  let note: string | null = null
  if (threads > 1) {
    const stock = tf.findBackendFactory('wasm')
    let failure: unknown = null
    tf.removeBackend('wasm')
    tf.registerBackend('wasm', async () => {
      try {
        return await createThreadedBackend(pkg, threads)
      } catch (e) {
        failure = e
        throw e
      }
    }, 2)
    if (await setBackendQuietly('wasm')) return { threads: pkg.getThreadsCount(), note: null }
    note = `the multi-threaded wasm build did not start (${errorMessage(failure)}); using one thread`
    tf.removeBackend('wasm')
    if (stock) tf.registerBackend('wasm', stock, 2)
  }
  if (!(await setBackendQuietly('wasm'))) throw new Error('the wasm backend failed to initialise')
  return { threads: pkg.getThreadsCount(), note }
}

/** tf.setBackend logs a warning and resolves false when a backend's factory throws; the caller reports it. */
async function setBackendQuietly(name: string): Promise<boolean> {
  const warn = console.warn
  console.warn = () => {}
  try {
    return await tf.setBackend(name)
  } finally {
    console.warn = warn
  }
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): (...args: number[]) => number
  tfjs?: Record<string, unknown>
}

/**
 * Starts the threaded SIMD build. tfjs skips it in Node (tfjs issue 3830) because its pthread workers are
 * created from Blob URLs, which Node's worker_threads cannot load; here the worker script is written to a
 * file and the module factory is loaded by path. The C++ side caps threads at half the logical cores
 * (it assumes hyper-threading), so it is shown 2 x threads cores while it initialises.
 */
async function createThreadedBackend(pkg: WasmPackage, threads: number): Promise<tf.KernelBackend> {
  const pkgDir = path.dirname(wasmDistDir())
  const factoryPath = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js')
  const factory = requireCjs(factoryPath) as (config: Record<string, unknown>) => Promise<EmscriptenModule>
  const { wasmWorkerContents } = requireCjs(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string }
  const workerFile = writeWorkerScript(wasmWorkerContents.replace(/\n/g, '\\n'))
  const wasmFile = path.join(wasmDistDir(), 'tfjs-backend-wasm-threaded-simd.wasm')
  const realCpus = os.cpus
  const oneCpu = realCpus()[0]
  os.cpus = () => Array.from({ length: 2 * threads }, () => oneCpu!)
  let module: EmscriptenModule
  try {
    module = await factory({
      locateFile: (file: string, prefix: string) => (file.endsWith('.worker.js') ? workerFile : file.endsWith('.wasm') ? wasmFile : prefix + file),
      // A path, not a Blob: the worker script evaluates it with fs.readFileSync.
      mainScriptUrlOrBlob: factoryPath,
    })
  } finally {
    os.cpus = realCpus
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  }
  pkg.setThreadsCount(threads)
  return new pkg.BackendWasm(module as never)
}

/** Writes the pthread worker script once per content (atomically: several processes may start together). */
function writeWorkerScript(contents: string): string {
  const hash = fnv1a(contents)
  const dir = path.join(os.tmpdir(), 'cpt-studio-tfjs')
  const file = path.join(dir, `wasm-threaded-simd-${hash.toString(16)}.worker.js`)
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true })
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, contents)
    renameSync(tmp, file)
  }
  return file
}

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message)
  return String(e)
}

interface WasmTensorInfo {
  dataId: object
  shape: number[]
  dtype: tf.DataType
}
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): WasmTensorInfo
  typedArrayFromHeap(t: WasmTensorInfo): Float32Array | Int32Array | Uint8Array
}

/** A kernel replacement: the output, or null to run the original kernel. */
type WasmKernel = (x: WasmTensorInfo, backend: WasmBackendLike, attrs: tf.NamedAttrMap | undefined) => tf.TensorInfo | tf.TensorInfo[] | null

/** Replaces a wasm kernel's function; string tensors (input `input`), and inputs for which `kernel` returns null, keep the original. */
function replaceWasmKernel(name: string, input: string, kernel: WasmKernel): void {
  const original = tf.getKernel(name, 'wasm')
  if (!original) return
  tf.unregisterKernel(name, 'wasm')
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    // Other wasm kernels call this one's module directly: its setup (cwrap of the C++ function) must still run.
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs[input] as unknown as WasmTensorInfo
      return (x.dtype === 'string' ? null : kernel(x, args.backend as unknown as WasmBackendLike, args.attrs)) ?? original.kernelFunc(args)
    },
  })
}

/** Kernel replacements for the wasm backend (JavaScript over views of the wasm heap). */
let patched = false
function patchWasmKernels(): void {
  if (patched || !tf.getKernel('Slice', 'wasm')) return
  patched = true
  replaceWasmKernel('Unpack', 'value', unpack)
  replaceWasmKernel('Identity', 'x', identity)
  replaceWasmKernel('Transpose', 'x', transpose)
  replaceWasmKernel('Slice', 'x', slice)
}

/**
 * tfjs-backend-wasm's Slice (and Unpack) copies its whole input out of the heap (`readSync`) before copying the slice, so
 * split/unstack into n parts cost n full copies. This Slice reads the heap in place.
 */
const slice: WasmKernel = (x, backend, attrs) => {
  const { begin, size } = attrs as unknown as { begin: number[]; size: number[] }
  const [begin_, size_] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, begin, size) as [number[], number[]]
  const out = backend.makeOutput(size_, x.dtype)
  // Views are taken after makeOutput, which may grow the heap.
  const xVals = backend.typedArrayFromHeap(x)
  const outVals = backend.typedArrayFromHeap(out)
  copySlice(xVals, x.shape, begin_, size_, outVals)
  return out as unknown as tf.TensorInfo
}

/** Unpack (unstack) calls the package's Slice directly, not through the registry: it needs its own fix. */
const unpack: WasmKernel = (x, backend, attrs) => {
  const rank = x.shape.length
  const axis = ((attrs as unknown as { axis: number }).axis + rank) % rank
  const outShape = x.shape.filter((_, i) => i !== axis)
  const size = x.shape.slice()
  size[axis] = 1
  const outs = Array.from({ length: x.shape[axis]! }, () => backend.makeOutput(outShape, x.dtype))
  const xVals = backend.typedArrayFromHeap(x)
  const begin = new Array<number>(rank).fill(0)
  outs.forEach((out, i) => {
    begin[axis] = i
    copySlice(xVals, x.shape, begin, size, backend.typedArrayFromHeap(out))
  })
  return outs as unknown as tf.TensorInfo[]
}

/**
 * Identity (tf.clone, and every tensor a gradient saves) copies the data on wasm; the cpu backend shares it
 * by reference count, which the wasm backend supports too (tensors are immutable; variables swap data ids).
 */
const identity: WasmKernel = (x, backend) => {
  ;(backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId)
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype } as unknown as tf.TensorInfo
}

/**
 * The wasm Transpose moving the innermost axis runs at ~10 ns an element (strided scalar loop); a JavaScript
 * transpose of the last two axes runs at ~1-2. Other permutations keep the original kernel.
 */
const transpose: WasmKernel = (x, backend, attrs) => {
  const perm = (attrs as unknown as { perm: number[] }).perm
  const rank = perm.length
  const swapsLastTwo = rank >= 2 && perm[rank - 1] === rank - 2 && perm[rank - 2] === rank - 1 && perm.slice(0, rank - 2).every((p, i) => p === i)
  if (!swapsLastTwo) return null
  const rows = x.shape[rank - 2]!
  const cols = x.shape[rank - 1]!
  const out = backend.makeOutput([...x.shape.slice(0, rank - 2), cols, rows], x.dtype)
  const src = backend.typedArrayFromHeap(x)
  const dst = backend.typedArrayFromHeap(out)
  const batch = src.length / (rows * cols)
  // Separate loops per array type keep each one monomorphic (and fast) in V8.
  if (src instanceof Float32Array) for (let b = 0; b < batch; b++) transpose2dF32(src, dst as Float32Array, b * rows * cols, rows, cols)
  else for (let b = 0; b < batch; b++) transpose2d(src, dst, b * rows * cols, rows, cols)
  return out as unknown as tf.TensorInfo
}

/**
 * dst[offset + j * rows + i] = src[offset + i * cols + j]. Eight source rows at a time, so each column of them
 * becomes eight contiguous writes: 0.8-1.8 ns an element in V8 against 3.5-4 for 32 x 32 tiles.
 */
function transpose2dF32(src: Float32Array, dst: Float32Array, offset: number, rows: number, cols: number): void {
  const c2 = 2 * cols
  const c3 = 3 * cols
  const c4 = 4 * cols
  const c5 = 5 * cols
  const c6 = 6 * cols
  const c7 = 7 * cols
  let i0 = 0
  for (; i0 + 8 <= rows; i0 += 8) {
    const s0 = offset + i0 * cols
    let d = offset + i0
    for (let j = 0; j < cols; j++, d += rows) {
      const s = s0 + j
      dst[d] = src[s]!
      dst[d + 1] = src[s + cols]!
      dst[d + 2] = src[s + c2]!
      dst[d + 3] = src[s + c3]!
      dst[d + 4] = src[s + c4]!
      dst[d + 5] = src[s + c5]!
      dst[d + 6] = src[s + c6]!
      dst[d + 7] = src[s + c7]!
    }
  }
  for (let i = i0; i < rows; i++) {
    for (let j = 0; j < cols; j++) dst[offset + j * rows + i] = src[offset + i * cols + j]!
  }
}

/** transpose2dF32 for the other array types. */
function transpose2d(src: Float32Array | Int32Array | Uint8Array, dst: Float32Array | Int32Array | Uint8Array, offset: number, rows: number, cols: number): void {
  const B = 32
  for (let i0 = 0; i0 < rows; i0 += B) {
    const i1 = Math.min(i0 + B, rows)
    for (let j0 = 0; j0 < cols; j0 += B) {
      const j1 = Math.min(j0 + B, cols)
      for (let i = i0; i < i1; i++) {
        let s = offset + i * cols + j0
        let d = offset + j0 * rows + i
        for (let j = j0; j < j1; j++, s++, d += rows) dst[d] = src[s]!
      }
    }
  }
}

/** Copies a box of a row-major array: contiguous runs of the innermost sliced dimensions at a time. */
function copySlice(
  src: Float32Array | Int32Array | Uint8Array,
  shape: number[],
  begin: number[],
  size: number[],
  dst: Float32Array | Int32Array | Uint8Array,
): void {
  const rank = shape.length
  if (rank === 0) {
    dst[0] = src[0]!
    return
  }
  const strides = new Array<number>(rank).fill(1)
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1]! * shape[d + 1]!
  // Merge trailing dimensions taken whole into one contiguous run.
  let inner = rank - 1
  let run = size[rank - 1] ?? 1
  while (inner > 0 && size[inner] === shape[inner] && begin[inner] === 0) {
    inner--
    run *= size[inner]!
  }
  const outer = size.slice(0, inner)
  const count = outer.reduce((a, b) => a * b, 1)
  const idx = new Array<number>(inner).fill(0)
  let o = 0
  for (let n = 0; n < count; n++) {
    let offset = begin[inner]! * strides[inner]!
    for (let d = 0; d < inner; d++) offset += (begin[d]! + idx[d]!) * strides[d]!
    dst.set(src.subarray(offset, offset + run), o)
    o += run
    for (let d = inner - 1; d >= 0; d--) {
      if (++idx[d]! < outer[d]!) break
      idx[d] = 0
    }
  }
}
