// Benchmarks run as long vitest files, one at a time; they print and save their numbers, they assert nothing about speed.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: { include: ['bench/**/*.bench.ts'], pool: 'forks', testTimeout: 6 * 3600_000, hookTimeout: 600_000 },
})
