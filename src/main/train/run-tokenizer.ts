// The tokenizer of a run, kept in runs/<id>/tokenizer/ so a resumed run and its exports use exactly the same one:
// a copy of the file asked for, the checkpoint's own, a byte-level BPE trained on the corpus, or the workspace default.
import { existsSync, promises as fs } from 'node:fs'
import path from 'node:path'
import type { TrainInput } from '../../shared/runs'
import { AppError } from '../../shared/errors'
import { DocumentStore, whereClause } from '../corpus/document-store'
import type { JobContext } from '../jobs/worker-protocol'
import { throwIfStopped } from '../jobs/worker-protocol'
import { trainByteLevelBpe } from '../tokenizer/bpe-trainer'
import { type Tokenizer, loadTokenizer } from '../tokenizer/tokenizer'
import { workspaceTokenizerPath } from '../tokenizer/workspace-tokenizer'
import { writeJsonAtomic } from '../util/atomic-write'
import { Workspace } from '../workspace/workspace'
import { isHeldOut } from './token-data'

/** Files that make up a tokenizer in a folder, copied with it. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer.model', 'tokenizer_config.json', 'special_tokens_map.json']
/** Text sampled from the training split to train a BPE vocabulary. */
const BPE_SAMPLE_CHARS = 8_000_000

export async function resolveRunTokenizer(input: TrainInput, ctx: JobContext<unknown>, dir: string): Promise<Tokenizer> {
  const own = path.join(dir, 'tokenizer')
  if (existsSync(own)) return loadTokenizer(own)
  const tmp = `${own}.tmp`
  await fs.rm(tmp, { recursive: true, force: true })
  await fs.mkdir(tmp, { recursive: true })
  const source = input.tokenizer
  if (source?.kind === 'train-bpe') {
    ctx.progress({ done: 0, unit: 'steps', message: `Training a byte-level BPE tokenizer (${source.vocabSize} tokens) on the corpus` })
    const json = await trainByteLevelBpe(sampleTexts(ctx, input), { vocabSize: source.vocabSize })
    await writeJsonAtomic(path.join(tmp, 'tokenizer.json'), json)
  } else {
    const from = source?.path ?? (input.model.kind === 'checkpoint' ? input.model.path : await workspaceTokenizerPath(ctx.workspaceDir))
    await copyTokenizer(from, tmp)
  }
  const tokenizer = await loadTokenizer(tmp)
  await fs.rename(tmp, own)
  ctx.log(`Tokenizer: ${tokenizer.name} (${tokenizer.kind}, ${tokenizer.vocabSize} tokens)`)
  // Loaded from the temporary folder, but the same files: the name is the file's, not the folder's.
  return tokenizer
}

async function copyTokenizer(from: string, to: string): Promise<void> {
  const stat = await fs.stat(from).catch(() => null)
  if (!stat) throw new AppError('not_found', `Tokenizer ${from} does not exist.`)
  if (stat.isFile()) {
    await fs.copyFile(from, path.join(to, path.basename(from)))
    return
  }
  const present = TOKENIZER_FILES.filter((f) => existsSync(path.join(from, f)))
  if (!present.some((f) => f.startsWith('tokenizer.'))) throw new AppError('not_found', `${from} holds no tokenizer.json or tokenizer.model: choose the tokenizer file.`)
  for (const f of present) await fs.copyFile(path.join(from, f), path.join(to, f))
}

/** Training-split document texts, up to BPE_SAMPLE_CHARS, in corpus order. */
async function* sampleTexts(ctx: JobContext<unknown>, input: TrainInput): AsyncGenerator<string> {
  const store = await DocumentStore.openIfExists(await Workspace.open(ctx.workspaceDir))
  if (!store) throw new AppError('not_found', 'This workspace has no documents yet: import a corpus before training a tokenizer on it.')
  try {
    const where = whereClause(input.data)
    let q = store.docs.query().select(['id', 'text'])
    if (where) q = q.where(where)
    let chars = 0
    for await (const batch of q) {
      for (const row of batch.toArray() as unknown as { id: string; text: string }[]) {
        throwIfStopped(ctx.signal)
        if (isHeldOut(row.id, input.heldOutFraction)) continue
        yield row.text
        chars += row.text.length
        if (chars >= BPE_SAMPLE_CHARS) return
      }
    }
  } finally {
    store.close()
  }
}
