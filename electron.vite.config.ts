// Builds the three Electron targets: main (the shell, the CLI, the job worker and its analysis threads), preload, renderer.
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

export default defineConfig({
  main: {
    build: {
      // ESM-only packages are bundled into the CommonJS output instead of required at run time.
      externalizeDeps: { exclude: ['hyparquet', 'hyparquet-compressors', 'hyparquet-writer'] },
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/app/index.ts'),
          cli: resolve(__dirname, 'src/main/cli/index.ts'),
          worker: resolve(__dirname, 'src/main/jobs/worker.ts'),
          // The import's analysis threads (worker_threads of the job worker), started from out/main/analyze-worker.js.
          'analyze-worker': resolve(__dirname, 'src/main/corpus/analyze-worker.ts'),
        },
      },
    },
  },
  preload: {
    // A sandboxed preload can require nothing but electron: bundle its dependencies into it.
    build: {
      externalizeDeps: false,
      rollupOptions: { input: { index: resolve(__dirname, 'src/preload/index.ts') }, external: ['electron'] },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    plugins: [svelte()],
    build: { rollupOptions: { input: resolve(__dirname, 'src/renderer/index.html') } },
  },
})
