// apache-arrow as LanceDB sees it: the CommonJS copy. An Arrow object built with the ESM copy is
// silently inserted as zero rows (see docs/ARCHITECTURE.md), so every module imports Arrow from here.
import { createRequire } from 'node:module'

export const arrow = createRequire(__filename)('apache-arrow') as typeof import('apache-arrow')
