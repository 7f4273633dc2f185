// `cpt-studio tokenize TEXT --tokenizer PATH [--bos] [--json]`: the token ids (and pieces) of a text.
import { AppError } from '../../shared/errors'
import { loadTokenizer } from '../tokenizer/tokenizer'

export async function tokenizeCommand(text: string, flags: { tokenizer?: string; json?: boolean; bos?: boolean }): Promise<number> {
  if (!flags.tokenizer) throw new AppError('invalid_input', 'Missing --tokenizer PATH: a tokenizer.json, tokenizer.model, GGUF file or a folder holding one.')
  const tok = await loadTokenizer(flags.tokenizer)
  const ids = tok.encode(text, { bos: flags.bos ?? false })
  const out = flags.json
    ? JSON.stringify({ tokenizer: tok.name, kind: tok.kind, vocabSize: tok.vocabSize, ids, tokens: ids.map((id) => tok.tokenToString(id)) }, null, 2)
    : ids.join(' ')
  process.stdout.write(out + '\n')
  return 0
}
