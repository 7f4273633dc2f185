// Entry of the index process (see index-process.ts): updates the indexes of the workspace named on the
// command line and replies with its peak memory or the error.
import { toErrorInfo } from '../../shared/errors'
import { peakMemoryMB } from '../util/peak-memory'
import { type IndexReply, updateIndexesHere } from './index-process'

const reply = (m: IndexReply): Promise<void> => new Promise((resolve) => process.send!(m, () => resolve()))

updateIndexesHere(process.argv[2]!).then(
  () => reply({ ok: true, peakMB: peakMemoryMB() }),
  (err: unknown) => reply({ ok: false, error: toErrorInfo(err) }),
).finally(() => process.exit(0))
