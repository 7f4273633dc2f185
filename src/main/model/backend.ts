// Picks the TF.js backend at run time: tfjs-node-gpu, tfjs-node (optional packages that may be missing), the
// wasm build, plain JS. The one place where backends are loaded and initialised.
import { createRequire } from 'node:module'
import os from 'node:os'
import * as tf from '@tensorflow/tfjs'
import { AppError } from '../../shared/errors'
import { initWasm } from './wasm-backend'

const requireCjs = createRequire(__filename)

export type BackendPreference = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'
export type BackendName = Exclude<BackendPreference, 'auto'>

export interface BackendAttempt {
  name: BackendName
  ok: boolean
  /** Why it was not used, or what was started (threads, device). */
  reason: string
}

export interface BackendSelection {
  name: BackendName
  tried: BackendAttempt[]
  /** Compute threads of the wasm backend; 0 when the backend manages its own. */
  threads: number
}

export interface SelectOptions {
  /** XNNPACK threads for wasm (1 to 8). Default: CPT_STUDIO_WASM_THREADS, else the logical cores less one (1 to 8). */
  wasmThreads?: number
  /** The wasm package exactly as shipped (one thread, its own Slice kernel): for baseline measurements only. */
  stockWasm?: boolean
}

const AUTO_ORDER: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']
const NATIVE_PACKAGES = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const

let current: { preference: BackendPreference; selection: BackendSelection } | null = null
let nativeLoaded: 'tensorflow-gpu' | 'tensorflow' | null = null

/**
 * Makes the best available backend active and says what was tried. Call it before creating tensors.
 * `auto` tries each in turn; a named backend that cannot start is an error that says what to install.
 * Calling again with the same preference returns the same selection.
 */
export async function selectBackend(preference: BackendPreference = 'auto', opts: SelectOptions = {}): Promise<BackendSelection> {
  if (current && current.preference === preference && tf.getBackend() === tfjsName(current.selection.name)) return current.selection
  const order = preference === 'auto' ? AUTO_ORDER : [preference]
  const tried: BackendAttempt[] = []
  for (const name of order) {
    const attempt = await tryBackend(name, opts)
    tried.push({ name, ok: attempt.ok, reason: attempt.reason })
    if (attempt.ok) {
      const selection: BackendSelection = { name, tried, threads: attempt.threads }
      current = { preference, selection }
      return selection
    }
  }
  const last = tried[tried.length - 1]!
  throw new AppError('unsupported', `The ${last.name} backend is not available: ${last.reason}`, { tried })
}

/** The backend chosen by the last selectBackend call, if any. */
export function currentBackend(): BackendSelection | null {
  return current?.selection ?? null
}

/** The tfjs registry name of one of our backends (both native packages register "tensorflow"). */
export function tfjsName(name: BackendName): string {
  return name === 'tensorflow-gpu' ? 'tensorflow' : name
}

async function tryBackend(name: BackendName, opts: SelectOptions): Promise<{ ok: boolean; reason: string; threads: number }> {
  try {
    switch (name) {
      case 'tensorflow-gpu':
      case 'tensorflow': {
        if (nativeLoaded && nativeLoaded !== name) {
          return { ok: false, reason: `${NATIVE_PACKAGES[nativeLoaded]} is already loaded in this process`, threads: 0 }
        }
        if (!nativeLoaded) {
          // The addon registers the "tensorflow" backend when it loads; a missing package or library throws here.
          requireCjs(NATIVE_PACKAGES[name])
          nativeLoaded = name
        }
        if (!(await tf.setBackend('tensorflow'))) return { ok: false, reason: `${NATIVE_PACKAGES[name]} loaded but its backend did not initialise`, threads: 0 }
        return { ok: true, reason: `${NATIVE_PACKAGES[name]} (libtensorflow)`, threads: 0 }
      }
      case 'wasm': {
        const threads = wasmThreads(opts)
        const init = await initWasm(opts.stockWasm ? 1 : threads, { patchKernels: !opts.stockWasm })
        const reason = `${init.threads} thread${init.threads === 1 ? '' : 's'}, SIMD` + (init.note ? `; ${init.note}` : '')
        return { ok: true, reason, threads: init.threads }
      }
      case 'cpu': {
        if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'the cpu backend did not initialise', threads: 0 }
        return { ok: true, reason: 'plain JavaScript, one thread (slow)', threads: 1 }
      }
    }
  } catch (e) {
    return { ok: false, reason: describeLoadError(name, e), threads: 0 }
  }
}

/**
 * The default leaves one core to the rest of the app: XNNPACK's thread pool waits for its slowest thread at
 * every product, so when the machine has fewer free cores than threads each product can stall for a
 * scheduler time slice (measured on a loaded 2-core machine: a tiny model's step went from 5 to 70 ms).
 */
function wasmThreads(opts: SelectOptions): number {
  const fromEnv = Number(process.env.CPT_STUDIO_WASM_THREADS)
  const wanted = opts.wasmThreads ?? (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : os.availableParallelism() - 1)
  return Math.max(1, Math.min(8, Math.floor(wanted)))
}

function describeLoadError(name: BackendName, e: unknown): string {
  const message = e instanceof Error ? e.message.split('\n')[0]! : String(e)
  if (name === 'tensorflow-gpu' || name === 'tensorflow') {
    const pkg = NATIVE_PACKAGES[name]
    if (/Cannot find module '@tensorflow\/tfjs-node/.test(message)) return `${pkg} is not installed (npm i ${pkg}@4.22.0)`
    if (name === 'tensorflow-gpu' && /libcud|cuda|cudnn/i.test(message)) return `${pkg} needs CUDA 11.2 and cuDNN 8.1: ${message}`
    return `${pkg} failed to load: ${message}`
  }
  return message
}
