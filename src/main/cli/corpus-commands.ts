// Corpus commands: import (a job, resumed after a kill), search, stats and export-docs.
import path from 'node:path'
import type { DocFilter } from '../../shared/corpus'
import { AppError } from '../../shared/errors'
import type { Job, JobRequest } from '../../shared/jobs'
import { DocumentStore } from '../corpus/document-store'
import type { ImportResult } from '../corpus/import-job'
import { currentStats } from '../corpus/stats-cache'
import { Workspace } from '../workspace/workspace'

import { type Flags, type Print, runJob, workspaceFlag } from './run-job'

export async function importCommand(paths: string[], flags: Flags, print: Print): Promise<number> {
  if (paths.length === 0) throw new AppError('invalid_input', 'Name at least one file or folder: cpt-studio import PATH... --workspace DIR')
  const dir = workspaceFlag(flags, 'import PATH... --workspace DIR')
  const input: JobRequest = {
    kind: 'corpus-import',
    paths: paths.map((p) => path.resolve(p)),
    ...(typeof flags.source === 'string' ? { source: flags.source } : {}),
    ...(typeof flags['text-field'] === 'string' ? { textField: flags['text-field'] } : {}),
  }
  const same = (j: Job) => j.kind === 'corpus-import' && JSON.stringify((j.input as { paths: string[] }).paths) === JSON.stringify(input.paths)
  const job = await runJob(dir, input, flags, same)
  if (job.status !== 'succeeded') {
    print(flags, { job: job.id, status: job.status, error: job.error }, `Import ${job.status}: ${job.error?.message ?? ''}`)
    return 1
  }
  const r = job.result as ImportResult
  const problems = r.problemList.map((p) => `  ${p.kind}: ${p.file}${p.member ? `!${p.member}` : ''}${p.line ? `:${p.line}` : ''}${p.record !== undefined ? ` record ${p.record}` : ''}: ${p.reason}`)
  const text = [
    `Imported ${r.files} files (${r.bytes} bytes): ${r.read} documents read, ${r.added} added, ${r.alreadyPresent} already in the workspace, ${r.exactDuplicates} exact duplicates.`,
    `Near-duplicates: ${r.nearDuplicates} in ${r.nearDuplicateClusters} clusters. The workspace holds ${r.documents} documents.`,
    r.problems ? `${r.problems} problems (all in ${r.problemsFile}):\n${problems.join('\n')}` : 'No problems.',
  ].join('\n')
  return print(flags, { job: job.id, ...r }, text)
}

function filterFrom(flags: Flags, query?: string): DocFilter {
  const f: DocFilter = {}
  if (query) f.query = query
  if (typeof flags.lang === 'string') f.lang = flags.lang.split(',')
  if (typeof flags.source === 'string') f.source = flags.source.split(',')
  if (flags.quality === 'pass' || flags.quality === 'fail') f.quality = flags.quality
  return f
}

async function withStore<T>(flags: Flags, usage: string, fn: (s: DocumentStore, ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await Workspace.open(workspaceFlag(flags, usage))
  try {
    const store = await DocumentStore.openIfExists(ws)
    if (!store) throw new AppError('not_found', `${ws.dir} has no documents yet: run cpt-studio import first.`)
    try {
      return await fn(store, ws)
    } finally {
      store.close()
    }
  } finally {
    ws.close()
  }
}

export async function searchCommand(query: string | undefined, flags: Flags, print: Print): Promise<number> {
  if (!query) throw new AppError('invalid_input', 'Missing query: cpt-studio search QUERY --workspace DIR')
  const limit = flags.limit === undefined ? 10 : Number(flags.limit)
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new AppError('invalid_input', '--limit must be a whole number from 1 to 500.')
  const res = await withStore(flags, 'search QUERY --workspace DIR', (s) => s.search(filterFrom(flags, query), 'relevance', 0, limit))
  const text = [`${res.total}${res.capped ? '+' : ''} matches`, ...res.rows.map((r) => `${r.id}  [${r.lang}] ${r.title ?? ''}\n    ${r.snippet.slice(0, 160)}`)].join('\n')
  return print(flags, res, text)
}

export async function statsCommand(flags: Flags, print: Print): Promise<number> {
  // The import saved them; a scan of every document only when the tables changed since.
  const stats = await withStore(flags, 'stats --workspace DIR', (s, ws) => currentStats(ws, s))
  const lines = [
    `${stats.documents} documents, ${stats.tokens} tokens (${stats.tokenCounter}), ${stats.imports} imports`,
    `Languages: ${stats.languages.map((l) => `${l.key} ${l.documents}`).join(', ')}`,
    `Sources: ${stats.sources.map((l) => `${l.key} ${l.documents}`).join(', ')}`,
    `Quality: ${stats.qualityPass} pass; failures: ${stats.qualityFailures.map((f) => `${f.rule} ${f.documents}`).join(', ') || 'none'}`,
    `Duplicates: ${stats.nearDuplicates} near-duplicates in ${stats.nearDuplicateClusters} clusters; ${stats.exactDuplicatesSkipped} exact copies skipped at import`,
  ]
  return print(flags, stats, lines.join('\n'))
}

export async function exportCommand(query: string | undefined, flags: Flags, print: Print): Promise<number> {
  const dir = workspaceFlag(flags, 'export-docs --workspace DIR --out FILE')
  if (typeof flags.out !== 'string') throw new AppError('invalid_input', 'Missing --out FILE: cpt-studio export-docs --workspace DIR --out FILE [--format jsonl|parquet]')
  const format = flags.format === undefined ? (flags.out.endsWith('.parquet') ? 'parquet' : 'jsonl') : flags.format
  if (format !== 'jsonl' && format !== 'parquet') throw new AppError('invalid_input', `--format must be jsonl or parquet, not "${String(format)}".`)
  const input: JobRequest = { kind: 'corpus-export', filter: filterFrom(flags, query), format, out: path.resolve(flags.out) }
  const job = await runJob(dir, input, flags, () => false)
  if (job.status !== 'succeeded') {
    print(flags, { job: job.id, status: job.status, error: job.error }, `Export ${job.status}: ${job.error?.message ?? ''}`)
    return 1
  }
  const r = job.result as { out: string; documents: number; bytes: number }
  return print(flags, r, `Wrote ${r.documents} documents to ${r.out} (${r.bytes} bytes)`)
}
