// Files dropped onto the web-mode UI arrive in chunks and are written under <workspace>/uploads/<id>/,
// every path resolved inside that folder: a hostile name never writes anywhere else.
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { AppError } from '../../shared/errors'

export const UPLOADS_FOLDER = 'uploads'

/** The upload's path inside its folder (leading slashes are dropped), refusing `..`, drive letters and control characters. */
export function safeUploadPath(root: string, rel: string): string {
  const parts = rel.split(/[\\/]+/).filter((p) => p !== '' && p !== '.')
  const control = (p: string) => [...p].some((ch) => ch.charCodeAt(0) < 0x20)
  if (parts.length === 0 || parts.some((p) => p === '..' || control(p)) || /^[a-zA-Z]:/.test(rel)) {
    throw new AppError('invalid_input', `Refusing the upload path "${rel}": it must stay inside the dropped folder.`, { path: rel })
  }
  const full = path.resolve(root, ...parts)
  if (!full.startsWith(root + path.sep)) throw new AppError('invalid_input', `Refusing the upload path "${rel}".`, { path: rel })
  return full
}

/** Appends one base64 chunk at `offset` (0 starts the file over); returns the file's size so far. */
export async function saveUploadChunk(uploadsDir: string, uploadId: string, rel: string, offset: number, base64: string): Promise<number> {
  const root = path.join(uploadsDir, uploadId)
  const file = safeUploadPath(root, rel)
  await fs.mkdir(path.dirname(file), { recursive: true })
  const size = offset === 0 ? 0 : await fs.stat(file).then((s) => s.size, () => -1)
  if (size !== offset) {
    throw new AppError('conflict', `Upload of ${rel} expected its chunk at byte ${size < 0 ? 0 : size}, got ${offset}: send the file again from the start.`, { size, offset })
  }
  const data = Buffer.from(base64, 'base64')
  await fs.writeFile(file, data, { flag: offset === 0 ? 'w' : 'a' })
  return offset + data.length
}

export async function uploadFolder(uploadsDir: string, uploadId: string): Promise<string> {
  const dir = path.join(uploadsDir, uploadId)
  const st = await fs.stat(dir).catch(() => null)
  if (!st?.isDirectory()) throw new AppError('not_found', `No upload ${uploadId}: drop the files again.`, { uploadId })
  return dir
}
