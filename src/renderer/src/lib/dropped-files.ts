// Files from a drop: folders are walked (webkitGetAsEntry), each file keeps its path inside the drop.
export interface DroppedFile {
  path: string
  file: File
}

export async function droppedFiles(dt: DataTransfer): Promise<DroppedFile[]> {
  const out: DroppedFile[] = []
  const entries: FileSystemEntry[] = []
  const loose: File[] = []
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue
    const entry = item.webkitGetAsEntry?.()
    if (entry) entries.push(entry)
    else {
      const f = item.getAsFile()
      if (f) loose.push(f)
    }
  }
  if (entries.length === 0 && loose.length === 0) loose.push(...Array.from(dt.files))
  for (const entry of entries) await walk(entry, '', out)
  for (const f of loose) out.push({ path: f.webkitRelativePath || f.name, file: f })
  return out
}

async function walk(entry: FileSystemEntry, prefix: string, out: DroppedFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
    out.push({ path, file })
    return
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader()
  // readEntries returns at most ~100 entries a call: read until it returns none.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject))
    if (batch.length === 0) break
    for (const child of batch) await walk(child, path, out)
  }
}

/** A name for the import's source: the one dropped folder or file, else "upload-<date>". */
export function sourceName(files: DroppedFile[]): string {
  const tops = new Set(files.map((f) => f.path.split('/')[0]!))
  const [only] = tops
  if (tops.size === 1 && only) return files[0]!.path.includes('/') ? only : only.replace(/\.[^.]+$/, '')
  return `upload-${new Date().toISOString().slice(0, 10)}`
}
