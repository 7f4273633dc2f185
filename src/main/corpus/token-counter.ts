// How an import counts tokens: with the workspace tokenizer (TinyLlama's Llama-2 by default) when it is on this
// machine, else an estimate (~4 characters a token, one per CJK character) that says so wherever it is shown.
import { toErrorInfo } from '../../shared/errors'
import { loadTokenizer } from '../tokenizer/tokenizer'
import { workspaceTokenizerPath } from '../tokenizer/workspace-tokenizer'

export interface TokenCounter {
  /** What the counts are: the tokenizer's file name, or "estimate". */
  name: string
  count(text: string): number
  /** Why the estimate is used, when it is. */
  problem: string | null
}

export const ESTIMATE = 'estimate'

/** ~4 characters a token for alphabetic text, one per CJK character. */
export function estimateTokens(chars: number, cjkRatio: number): number {
  const cjkChars = Math.round(chars * cjkRatio)
  return Math.max(1, Math.round((chars - cjkChars) / 4 + cjkChars))
}

export async function workspaceTokenCounter(workspaceDir: string): Promise<TokenCounter> {
  try {
    const tokenizer = await loadTokenizer(await workspaceTokenizerPath(workspaceDir))
    return { name: tokenizer.name, count: (text) => tokenizer.encode(text).length, problem: null }
  } catch (err) {
    return { name: ESTIMATE, count: () => NaN, problem: toErrorInfo(err).message }
  }
}
