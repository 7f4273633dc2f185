// Expands the user's paths into input files: folders walked, formats detected, zip archives listed member by member.
import { createReadStream, type Stats } from 'node:fs'
import { open, readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import type { ImportProblem, SourceFormat } from '../types'
import { ioReason } from './common'
import { detectFormat, readHead, sniffFormat, type Compression } from './detect'
import { walkZip } from './zip'

export interface InputFile {
  /** Absolute path on disk; for archive members, the archive. */
  file: string
  /** Path inside the zip archive. */
  member?: string
  format: SourceFormat
  compression: Compression
  /** Bytes on disk, or the member's uncompressed size. */
  size: number
  /** The raw bytes, still compressed when `compression` says so. */
  open(): Promise<NodeJS.ReadableStream>
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export async function* walkInputs(paths: string[]): AsyncGenerator<InputFile | ImportProblem> {
  const seenDirs = new Set<string>()
  for (const p of paths) yield* walkPath(path.resolve(p), seenDirs)
}

async function* walkPath(file: string, seenDirs: Set<string>): AsyncGenerator<InputFile | ImportProblem> {
  let info: Stats
  try {
    info = await stat(file)
  } catch (err) {
    yield { kind: 'unreadable', file, reason: ioReason(err) }
    return
  }
  if (info.isDirectory()) {
    let names: string[]
    try {
      // Symlinked folders can form loops; visit each real folder once.
      const real = await realpath(file)
      if (seenDirs.has(real)) return
      seenDirs.add(real)
      names = (await readdir(file)).filter((n) => !n.startsWith('.')).sort(byName)
    } catch (err) {
      yield { kind: 'unreadable', file, reason: ioReason(err) }
      return
    }
    for (const name of names) yield* walkPath(path.join(file, name), seenDirs)
    return
  }
  if (!info.isFile()) return
  let detected = detectFormat(file)
  if (!detected) {
    try {
      detected = sniffFormat(await readHead(createReadStream(file)))
    } catch (err) {
      yield { kind: 'unreadable', file, reason: ioReason(err) }
      return
    }
  }
  if ('unsupported' in detected) yield { kind: 'unsupported', file, reason: detected.unsupported }
  else if (detected.format === 'zip') yield* walkZip(file)
  else yield { file, format: detected.format, compression: detected.compression, size: info.size, open: () => openFile(file) }
}

async function openFile(file: string): Promise<NodeJS.ReadableStream> {
  // Opening first turns a missing or unreadable file into a rejected promise rather than a stream error.
  const handle = await open(file, 'r')
  return handle.createReadStream()
}

