// Imports count tokens with the workspace tokenizer when it is present (TinyLlama's Llama-2 tokenizer.model
// in models/tokenizers/llama2), and say "estimate" when it is not.
import { copyFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DocumentStore } from '../../src/main/corpus/document-store'
import { loadTokenizer } from '../../src/main/tokenizer/tokenizer'
import { Workspace } from '../../src/main/workspace/workspace'
import { cli } from '../helpers/cli'
import { HAS_SHARED_DATA, SHARED_DATA } from '../helpers/shared-data'
import { tempDir } from '../helpers/temp'

describe.skipIf(!HAS_SHARED_DATA)('token counts at import', () => {
  const tmp = tempDir()
  const env = { CPT_STUDIO_HOME: path.join(tmp.dir, 'home') }
  afterAll(() => tmp.cleanup())
  const pages = path.join(SHARED_DATA, 'corpus/dolma/science')

  it('are estimates without the workspace tokenizer, real Llama-2 counts with it', async () => {
    const plain = path.join(tmp.dir, 'plain')
    await cli(['workspace', 'init', plain], env)
    expect((await cli(['import', pages, '--workspace', plain, '--json'], env)).code).toBe(0)
    expect((JSON.parse((await cli(['stats', '--workspace', plain, '--json'], env)).stdout) as { tokenCounter: string }).tokenCounter).toBe('estimate')

    const ws = path.join(tmp.dir, 'counted')
    await cli(['workspace', 'init', ws], env)
    const model = path.join(SHARED_DATA, 'tokenizers/llama2/tokenizer.model')
    mkdirSync(path.join(ws, 'models/tokenizers/llama2'), { recursive: true })
    copyFileSync(model, path.join(ws, 'models/tokenizers/llama2/tokenizer.model'))
    const r = await cli(['import', pages, '--workspace', ws, '--json'], env)
    expect(r.code, r.stderr).toBe(0)
    const stats = JSON.parse((await cli(['stats', '--workspace', ws, '--json'], env)).stdout) as { tokenCounter: string; tokens: number }
    expect(stats.tokenCounter).toBe('tokenizer.model')

    const tokenizer = await loadTokenizer(model)
    const workspace = await Workspace.open(ws)
    const store = await DocumentStore.open(workspace)
    try {
      const rows = (await store.docs.query().select(['text', 'tokens']).toArray()) as { text: string; tokens: number }[]
      expect(rows.length).toBeGreaterThan(0)
      for (const row of rows) expect(Number(row.tokens)).toBe(tokenizer.encode(row.text).length)
      expect(stats.tokens).toBe(rows.reduce((s, row) => s + Number(row.tokens), 0))
    } finally {
      store.close()
      workspace.close()
    }
  }, 120_000)
})
