// The shared real-data folder beside the checkout; tests that need it skip with a message when it is absent.
import { existsSync } from 'node:fs'
import path from 'node:path'

export const SHARED_DATA = path.resolve(__dirname, '../../../shared/data')
export const HAS_SHARED_DATA = existsSync(SHARED_DATA)
if (!HAS_SHARED_DATA) console.warn(`Skipping tests on real data: ${SHARED_DATA} is absent`)
