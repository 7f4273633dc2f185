// File helpers for large weight files: exact positional reads, and files written beside their target then renamed in.
import { promises as fs } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { AppError } from '../../shared/errors'

const MAX_READ = 1 << 30 // one fs read moves at most 2 GiB; stay well below

/** Opens a file for reading; a missing file is a `not_found` naming it. */
export async function openForReading(file: string): Promise<FileHandle> {
  try {
    return await fs.open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('not_found', `${file} does not exist`)
    throw err
  }
}

/**
 * Reads `length` bytes at `position` into a fresh Uint8Array (its buffer starts at offset 0, so typed views
 * over it are aligned). Fewer bytes than asked means the file ended early: an `invalid_input` naming `what`.
 */
export async function readExactly(handle: FileHandle, length: number, position: number, what: string): Promise<Uint8Array> {
  const out = new Uint8Array(length)
  let done = 0
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, Math.min(MAX_READ, length - done), position + done)
    if (bytesRead === 0) throw new AppError('invalid_input', `${what}: the file is truncated (wanted ${length} bytes at byte ${position}, it ends after ${done})`)
    done += bytesRead
  }
  return out
}

async function writeAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  let done = 0
  while (done < data.byteLength) {
    const chunk = data.subarray(done, Math.min(data.byteLength, done + MAX_READ))
    const { bytesWritten } = await handle.write(chunk, 0, chunk.byteLength)
    done += bytesWritten
  }
}

/** A file written under a temporary name in the target's folder; `publish` renames it over the target. */
export class PendingFile {
  /** Open until `finish` or `abort` closes it. */
  private handle: FileHandle | undefined

  private constructor(
    readonly target: string,
    readonly temp: string,
    handle: FileHandle,
  ) {
    this.handle = handle
  }

  static async create(target: string): Promise<PendingFile> {
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`)
    return new PendingFile(target, temp, await fs.open(temp, 'w'))
  }

  async write(data: Uint8Array): Promise<void> {
    if (!this.handle) throw new Error(`${this.target}: write after close`)
    await writeAll(this.handle, data)
  }

  /** Flushes to disk and closes; the target is unchanged until `publish`. */
  async finish(): Promise<void> {
    if (!this.handle) return
    const h = this.handle
    this.handle = undefined
    try {
      await h.sync()
    } finally {
      await h.close()
    }
  }

  async publish(): Promise<void> {
    await this.finish()
    await fs.rename(this.temp, this.target)
  }

  /** Closes and removes the temporary file; safe to call more than once or after publish. */
  async abort(): Promise<void> {
    if (this.handle) {
      const h = this.handle
      this.handle = undefined
      await h.close().catch(() => undefined)
    }
    await fs.rm(this.temp, { force: true })
  }
}
