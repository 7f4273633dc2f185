// Where a separately built entry (a worker-thread script in out/main) is at run time.
import { existsSync } from 'node:fs'
import path from 'node:path'

/** The built entry `file`: beside this bundle or its chunk folder, or in out/main when run from sources. */
export function builtEntry(file: string): string | null {
  const candidates = [path.join(__dirname, file), path.join(__dirname, '..', file), path.resolve(__dirname, '../../../out/main', file)]
  return candidates.find((p) => existsSync(p)) ?? null
}
