// SentencePiece-style BPE on a made-up vocabulary: score order, leftmost ties, byte fallback, user-defined pieces, and when chunking is safe.
import { describe, expect, it } from 'vitest'
import { PieceType } from './sentencepiece-model'
import { SpmTokenizer, mergeablePieces, rankByScore } from './spm-tokenizer'

const BYTES = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`)

function tokenizer(normal: [string, number][], extra: { user?: string[]; bytes?: boolean } = {}): SpmTokenizer {
  const pieces = ['<unk>', '<s>', '</s>', ...(extra.bytes === false ? [] : BYTES), ...normal.map(([p]) => p), ...(extra.user ?? [])]
  const types = Uint8Array.from(pieces, (p, id) =>
    id === 0 ? PieceType.UNKNOWN : id < 3 ? PieceType.CONTROL : BYTES.includes(p) && extra.bytes !== false ? PieceType.BYTE : extra.user?.includes(p) ? PieceType.USER_DEFINED : PieceType.NORMAL,
  )
  const scores = pieces.map((p) => normal.find(([q]) => q === p)?.[1] ?? 0)
  return new SpmTokenizer({ name: 'test', pieces, types, scores, rank: rankByScore(mergeablePieces(pieces, types), scores), unkId: 0, bosId: 1, eosId: 2, addDummyPrefix: true })
}

const pieces = (t: SpmTokenizer, text: string) => t.encode(text).map((id) => t.tokenToString(id))

describe('SpmTokenizer', () => {
  const base: [string, number][] = [
    ['▁', -10],
    ['a', -10],
    ['b', -10],
    ['▁a', -1],
    ['ab', -2],
    ['▁ab', -3],
  ]

  it('merges the highest score first and splits at spaces', () => {
    expect(pieces(tokenizer(base), 'ab ab')).toEqual(['▁ab', '▁ab'])
    expect(pieces(tokenizer(base), 'ab')).toEqual(['▁ab'])
    expect(pieces(tokenizer(base), ' ')).toEqual(['▁', '▁'])
    expect(tokenizer(base).encode('')).toEqual([])
  })

  it('breaks score ties to the left', () => {
    const t = tokenizer([['a', -10], ['aa', -1], ['▁', -10]])
    expect(pieces(t, 'aaa')).toEqual(['▁', 'aa', 'a'])
  })

  it('does not cut text at spaces when a piece joins a character to a following ▁', () => {
    expect(pieces(tokenizer([...base, ['b▁', -0.5]]), 'ab ab')).toEqual(['▁a', 'b▁', 'ab'])
  })

  it('falls back to bytes, or to <unk> without byte pieces, and decodes bytes back', () => {
    const t = tokenizer(base)
    expect(pieces(t, 'a好')).toEqual(['▁a', '<0xE5>', '<0xA5>', '<0xBD>'])
    expect(t.decode(t.encode('a好 b'))).toBe('a好 b')
    expect(pieces(tokenizer(base, { bytes: false }), 'a好')).toEqual(['▁a', '<unk>'])
  })

  it('matches user-defined pieces anywhere and control pieces only when asked; decoding drops control pieces', () => {
    const t = tokenizer(base, { user: ['<tab>', '[a-b]*'] })
    expect(pieces(t, 'a<tab>b[a-b]*')).toEqual(['▁a', '<tab>', 'b', '[a-b]*'])
    expect(pieces(t, 'a</s>')).not.toContain('</s>')
    expect(pieces(t, 'a</s>')).toContain('<0x3C>')
    expect(t.encode('a</s>', { special: true }).slice(-1)).toEqual([2])
    expect(t.decode([1, ...t.encode('ab'), 2])).toBe('ab')
    expect(() => t.decode([t.vocabSize])).toThrow(/outside the vocabulary/)
  })
})
