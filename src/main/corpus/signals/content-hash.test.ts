// Tests of content ids: stable under line-ending and trailing-space changes, different for different text.
import { describe, expect, it } from 'vitest'
import { contentHash, normalizeForHash } from './content-hash'

describe('contentHash', () => {
  it('is 32 lower-case hex characters and stable', () => {
    const id = contentHash('Hello world')
    expect(id).toMatch(/^[0-9a-f]{32}$/)
    expect(contentHash('Hello world')).toBe(id)
  })

  it('ignores CRLF, trailing whitespace and surrounding blank lines', () => {
    const id = contentHash('first line\nsecond line')
    expect(contentHash('first line\r\nsecond line')).toBe(id)
    expect(contentHash('first line   \nsecond line\t')).toBe(id)
    expect(contentHash('\n\n  first line\nsecond line\n\n')).toBe(contentHash('first line\nsecond line'))
    expect(contentHash('first line\u3000\r\nsecond line \r\n')).toBe(id)
  })

  it('ignores Unicode composition (NFC)', () => {
    expect(contentHash('caf\u00e9')).toBe(contentHash('cafe\u0301'))
  })

  it('differs for different text, including inner whitespace and case', () => {
    const ids = new Set(['Hello world', 'Hello  world', 'hello world', 'Hello\nworld', '你好，世界', '你好,世界'].map(contentHash))
    expect(ids.size).toBe(6)
  })

  it('exports the normalisation', () => {
    expect(normalizeForHash('  a \r\n b\t\r\n\r\n')).toBe('a \n b'.replace(' \n', '\n'))
  })
})
