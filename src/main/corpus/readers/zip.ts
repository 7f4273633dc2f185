// Zip archives: members listed lazily with yauzl and read in place, never extracted; unsafe names refused.
import yauzl, { type Entry, type ZipFile } from 'yauzl'
import type { ImportProblem } from '../types'
import { errorMessage } from './common'
import { detectFormat, readHead, sniffFormat } from './detect'
import type { InputFile } from './inputs'

function openZip(file: string): Promise<ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings: false, because yauzl would otherwise abort the whole listing at the first unsafe name.
    yauzl.open(file, { lazyEntries: true, autoClose: false, decodeStrings: false }, (err, zip) => {
      if (err || !zip) reject(err ?? new Error('cannot open the archive'))
      else resolve(zip)
    })
  })
}

function nextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError)
    }
    const onEntry = (entry: Entry): void => (done(), resolve(entry))
    const onEnd = (): void => (done(), resolve(undefined))
    const onError = (err: Error): void => (done(), reject(err))
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError)
    zip.readEntry()
  })
}

/** A member is read through a fresh handle on the archive; listed entries keep their offsets, so this is safe. */
async function openMember(file: string, entry: Entry): Promise<NodeJS.ReadableStream> {
  const zip = await openZip(file)
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      // close() releases the file only once the member stream has ended or been destroyed.
      zip.close()
      if (err || !stream) reject(err ?? new Error('cannot open the member'))
      else resolve(stream)
    })
  })
}

/** Absolute names, drive letters and `..` segments (with either slash) would escape an extraction folder. */
function isUnsafeMemberName(name: string): boolean {
  return /^[\\/]/.test(name) || /^[a-zA-Z]:/.test(name) || name.split(/[\\/]/).includes('..')
}

function isHidden(name: string): boolean {
  return name.split('/').some((part) => part.startsWith('.') || part === '__MACOSX')
}

export async function* walkZip(file: string): AsyncGenerator<InputFile | ImportProblem> {
  let zip: ZipFile
  try {
    zip = await openZip(file)
  } catch (err) {
    yield { kind: 'unreadable', file, reason: `not a readable zip archive (${errorMessage(err)})` }
    return
  }
  try {
    for (;;) {
      let entry: Entry | undefined
      try {
        entry = await nextEntry(zip)
      } catch (err) {
        yield { kind: 'unreadable', file, reason: `the zip archive is damaged (${errorMessage(err)}); later members were not listed` }
        return
      }
      if (!entry) return
      const raw = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true)
      if (isUnsafeMemberName(raw)) {
        yield { kind: 'unsafe-path', file, member: raw, reason: 'member name points outside the archive (absolute or ".."); not read' }
        continue
      }
      const member = raw.replace(/\\/g, '/')
      if (member.endsWith('/') || isHidden(member)) continue
      const problem = (kind: ImportProblem['kind'], reason: string): ImportProblem => ({ kind, file, member, reason })
      if (entry.isEncrypted()) {
        yield problem('unreadable', 'the member is encrypted; extract it with its password first')
        continue
      }
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        yield problem('unsupported', `zip compression method ${entry.compressionMethod} is not supported; re-create the archive with deflate`)
        continue
      }
      const listed = entry
      const open = (): Promise<NodeJS.ReadableStream> => openMember(file, listed)
      let detected = detectFormat(member)
      if (!detected) {
        try {
          detected = sniffFormat(await readHead(await open()))
        } catch (err) {
          yield problem('unreadable', errorMessage(err))
          continue
        }
      }
      if ('unsupported' in detected) yield problem('unsupported', detected.unsupported)
      else if (detected.format === 'zip') yield problem('unsupported', 'a zip inside a zip is not read; extract the inner archive first')
      else yield { file, member, format: detected.format, compression: detected.compression, size: entry.uncompressedSize, open }
    }
  } finally {
    zip.close()
  }
}
