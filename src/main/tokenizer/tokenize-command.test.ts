// The `tokenize` CLI hook: ids as text or JSON, BOS on request, a clear error without --tokenizer.
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { HAS_SHARED_DATA, SHARED_DATA } from '../../../test/helpers/shared-data'
import { tokenizeCommand } from '../cli/tokenize-command'

const LLAMA2 = path.join(SHARED_DATA, 'tokenizers', 'llama2', 'tokenizer.model')

function captureStdout(): () => string {
  const chunks: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk))
    return true
  })
  return () => chunks.join('')
}

describe('tokenizeCommand', () => {
  afterEach(() => vi.restoreAllMocks())

  it('needs --tokenizer', async () => {
    await expect(tokenizeCommand('hi', {})).rejects.toThrow(/Missing --tokenizer/)
  })

  it.skipIf(!HAS_SHARED_DATA)('prints ids, with BOS when asked', async () => {
    const out = captureStdout()
    expect(await tokenizeCommand('Hello world', { tokenizer: LLAMA2, bos: true })).toBe(0)
    expect(out()).toBe('1 15043 3186\n')
  })

  it.skipIf(!HAS_SHARED_DATA)('prints JSON with the pieces', async () => {
    const out = captureStdout()
    expect(await tokenizeCommand('Hello world', { tokenizer: LLAMA2, json: true })).toBe(0)
    expect(JSON.parse(out())).toEqual({ tokenizer: 'tokenizer.model', kind: 'spm', vocabSize: 32000, ids: [15043, 3186], tokens: ['▁Hello', '▁world'] })
  })
})
