// How an import counts tokens: with the workspace tokenizer (TinyLlama's Llama-2 by default) when it is on this
// machine, else an estimate (~4 characters a token, one per CJK character) that says so wherever it is shown.
// No workspace import here: the analysis threads (analyze-worker.ts) load their counter with this module alone.
import { toErrorInfo } from '../../shared/errors'
import { loadTokenizer } from '../tokenizer/tokenizer'

export interface TokenCounter {
  /** What the counts are: the tokenizer's file name, or "estimate". */
  name: string
  /** Tokens of a text; null for the estimate, which analyze() makes from its own character statistics. */
  count: ((text: string) => number) | null
  /** Why the estimate is used, when it is. */
  problem: string | null
  /** The tokenizer file the counts come from (null for the estimate), so another thread can load the same one. */
  path: string | null
}

export const ESTIMATE = 'estimate'

/** ~4 characters a token for alphabetic text, one per CJK character. */
export function estimateTokens(chars: number, cjkRatio: number): number {
  const cjkChars = Math.round(chars * cjkRatio)
  return Math.max(1, Math.round((chars - cjkChars) / 4 + cjkChars))
}

/**
 * The counter of the tokenizer that `find` names (for an import: `() => workspaceTokenizerPath(dir)`), or the
 * estimate with the reason when it cannot be found or read.
 */
export async function loadTokenCounter(find: () => Promise<string>): Promise<TokenCounter> {
  try {
    const file = await find()
    const tokenizer = await loadTokenizer(file)
    return { name: tokenizer.name, count: (text) => tokenizer.count(text), problem: null, path: file }
  } catch (err) {
    return { name: ESTIMATE, count: null, problem: toErrorInfo(err).message, path: null }
  }
}
