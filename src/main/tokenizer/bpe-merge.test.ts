// The heap-based merge loop against the obvious quadratic one, and the pre-tokenizer regex translation.
import { describe, expect, it } from 'vitest'
import { type PairRank, bpeMerge } from './bpe-merge'
import { GPT2_PATTERN, LLAMA3_PATTERN, compilePattern, splitIsolated } from './pretokenizer'

/** Repeatedly scans for the best pair, leftmost on ties. */
function naive(symbols: string[], rank: PairRank): string[] {
  const s = symbols.slice()
  for (;;) {
    let best = -1
    let bestRank = Infinity
    for (let i = 0; i + 1 < s.length; i++) {
      const r = rank(s[i] as string, s[i + 1] as string)
      if (r !== undefined && r < bestRank) [best, bestRank] = [i, r]
    }
    if (best < 0) return s
    s.splice(best, 2, (s[best] as string) + (s[best + 1] as string))
  }
}

describe('bpeMerge', () => {
  it('merges exactly like a full rescan, including ties and overlapping pairs', () => {
    let seed = 11
    const rand = (n: number) => (seed = (seed * 16807) % 2147483647) % n
    for (let trial = 0; trial < 200; trial++) {
      const vocab = new Map<string, number>()
      for (let i = 0; i < 40; i++) {
        const len = 2 + rand(4)
        vocab.set(Array.from({ length: len }, () => 'abc'[rand(3)]).join(''), rand(10))
      }
      const rank: PairRank = (a, b) => vocab.get(a + b)
      const text = Array.from({ length: 1 + rand(30) }, () => 'abc'[rand(3)] as string)
      expect(bpeMerge(text, rank)).toEqual(naive(text, rank))
    }
  })

  it('leaves a single symbol or no pair alone', () => {
    expect(bpeMerge(['x'], () => 0)).toEqual(['x'])
    expect(bpeMerge(['x', 'y'], () => undefined)).toEqual(['x', 'y'])
  })
})

describe('pre-tokenizer patterns', () => {
  const llama3 = compilePattern(LLAMA3_PATTERN, 'test')

  it('splits like Llama 3: contractions in any case, 1-3 digits, punctuation with line breaks, trailing spaces', () => {
    expect(splitIsolated("I'VE 12345 apples!!\n\n  x  ", llama3)).toEqual(['I', "'VE", ' ', '123', '45', ' apples', '!!\n\n', ' ', ' x', '  '])
    expect(splitIsolated('你好，世界', llama3)).toEqual(['你好', '，世界'])
  })

  it('treats only Unicode White_Space as \\s (U+0085 yes, U+FEFF no)', () => {
    expect(splitIsolated('a\u0085\u0085b', llama3)).toEqual(['a', '\u0085', '\u0085b'])
    expect(splitIsolated('a\uFEFFb', llama3)).toEqual(['a', '\uFEFFb'])
  })

  it('compiles GPT-2 and refuses what JavaScript cannot express', () => {
    expect(splitIsolated("it's  ok", compilePattern(GPT2_PATTERN, 'test'))).toEqual(['it', "'s", ' ', ' ok'])
    expect(() => compilePattern('\\p{L}++', 'x.json')).toThrow(/x.json: the pre-tokenizer pattern .* uses regex features JavaScript lacks/)
  })
})
