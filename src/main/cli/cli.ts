// The `cpt-studio` command: web mode, workspaces, and jobs from a terminal. Every data command can print JSON.
import path from 'node:path'
import { existsSync, readdirSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { AppError, toErrorInfo } from '../../shared/errors'
import { APP_VERSION } from '../app-version'
import { Engine } from '../engine'
import { startServer } from '../server/server'
import { WORKSPACE_FILE, Workspace } from '../workspace/workspace'
import type { WorkspaceInfo } from '../../shared/workspace'
import { exportCommand, importCommand, searchCommand, statsCommand } from './corpus-commands'
import { type Flags, cliEngine, runJob } from './run-job'
import { modelExportCommand, resumeCommand, sampleCommand, trainCommand } from './train-commands'
import { tokenizeCommand } from './tokenize-command'
import { PRESETS } from '../weights/llama-config'

const HELP = `cpt-studio ${APP_VERSION}: a workstation for continual pre-training of language models

Usage:
  cpt-studio serve --workspace DIR [--port N] [--json]
      Serve the app in a browser on 127.0.0.1. Prints a URL with a one-time token; requests without it get 401.
      DIR is opened, or created when it does not exist or is empty.
  cpt-studio workspace init DIR [--name NAME] [--json]
      Create a workspace in a new or empty folder.
  cpt-studio workspace info DIR [--json]
      Show a workspace's settings, tables and folders.
  cpt-studio workspace check DIR [--deep] [--json]
      Run the workspace check job: read every table and verify every data file's checksum.
  cpt-studio jobs --workspace DIR [--json]
      List the workspace's jobs.
  cpt-studio import PATH... --workspace DIR [--source NAME] [--text-field F] [--json]
      Import files and folders (HTML, JSON/JSONL(.gz/.zst), Parquet, TXT/MD, PDF, WARC, zip).
      A second run adds nothing new; an import that was killed resumes where it stopped.
  cpt-studio search QUERY --workspace DIR [--lang zh] [--source S] [--limit N] [--json]
      Full-text search in English or Chinese.
  cpt-studio stats --workspace DIR [--json]
      Documents, tokens, languages, sources, duplicates and quality failures.
  cpt-studio export-docs [QUERY] --workspace DIR --out FILE [--format jsonl|parquet] [--lang L] [--source S] [--quality pass|fail]
      Export the matching documents with their signals and provenance.
  cpt-studio train --workspace DIR (--preset NAME | --checkpoint HF_DIR) (--steps N | --tokens N) [options] [--json]
      Train a Llama model on the workspace corpus; prints the final metrics. Options:
        --tokenizer PATH | --bpe-vocab N   tokenizer file/folder, or a byte-level BPE trained on the corpus
                                           (default: the workspace tokenizer, or the checkpoint's own)
        --batch N --seq N --accum N        sequences per micro-batch, tokens per sequence, micro-batches per step
        --lr X --min-lr X --warmup N --schedule cosine|wsd|constant
        --eval-every N --eval-tokens N --checkpoint-every N --seed N --name NAME
        --backend auto|tensorflow-gpu|tensorflow|wasm|cpu
        --lang L --source S --quality pass|fail   which documents to train on
      Presets: ${Object.keys(PRESETS).join(', ')}.
  cpt-studio resume RUN --workspace DIR [--json]
      Continue a stopped, failed or killed run from its newest checkpoint (the same batches, the same curve).
  cpt-studio export --run RUN --workspace DIR --format safetensors|gguf [--dtype f32|f16] [--out PATH] [--json]
      Write a run's newest checkpoint as a Hugging Face folder (config.json, model.safetensors, tokenizer)
      or as one GGUF file that llama.cpp loads.
  cpt-studio sample --run RUN --workspace DIR [--max-tokens N] [--temperature T] [--seed N] [--json] PROMPT
      Generate text from a run's newest checkpoint.
  cpt-studio tokenize --tokenizer PATH [--bos] [--json] TEXT
      Print the token ids of TEXT (tokenizer.json, tokenizer.model, GGUF, or a folder holding one).

Options:
  --json      Print machine-readable JSON on stdout.
  --help, -h  Show this help.  --version  Show the version.
`


export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      workspace: { type: 'string', short: 'w' },
      port: { type: 'string', short: 'p' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
      deep: { type: 'boolean', default: false },
      source: { type: 'string' },
      'text-field': { type: 'string' },
      lang: { type: 'string' },
      limit: { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      quality: { type: 'string' },
      preset: { type: 'string' },
      checkpoint: { type: 'string' },
      tokenizer: { type: 'string' },
      'bpe-vocab': { type: 'string' },
      steps: { type: 'string' },
      tokens: { type: 'string' },
      batch: { type: 'string' },
      seq: { type: 'string' },
      accum: { type: 'string' },
      lr: { type: 'string' },
      'min-lr': { type: 'string' },
      warmup: { type: 'string' },
      schedule: { type: 'string' },
      'eval-every': { type: 'string' },
      'eval-tokens': { type: 'string' },
      'checkpoint-every': { type: 'string' },
      seed: { type: 'string' },
      backend: { type: 'string' },
      run: { type: 'string' },
      dtype: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      bos: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', default: false },
    },
  })
  const flags: Flags = values
  if (values.version) return print(flags, { version: APP_VERSION }, APP_VERSION)
  const [command, sub, arg] = positionals
  if (values.help || !command) {
    process.stdout.write(HELP)
    return command || values.help ? 0 : 1
  }
  switch (command) {
    case 'serve':
      return serve(flags)
    case 'workspace':
      if (sub === 'init') return workspaceInit(requireArg(arg, 'workspace init DIR'), flags)
      if (sub === 'info') return workspaceInfo(requireArg(arg, 'workspace info DIR'), flags)
      if (sub === 'check') return workspaceCheck(requireArg(arg, 'workspace check DIR'), flags)
      throw new AppError('invalid_input', `Unknown workspace command "${sub ?? ''}": use init, info or check.`)
    case 'jobs':
      return listJobs(flags)
    case 'import':
      return importCommand(positionals.slice(1), flags, print)
    case 'search':
      return searchCommand(positionals.slice(1).join(' ') || undefined, flags, print)
    case 'stats':
      return statsCommand(flags, print)
    case 'export-docs':
      return exportCommand(positionals.slice(1).join(' ') || undefined, flags, print)
    case 'train':
      return trainCommand(flags, print)
    case 'resume':
      return resumeCommand(sub, flags, print)
    case 'export':
      return modelExportCommand(flags, print)
    case 'sample':
      return sampleCommand(positionals.slice(1).join(' '), flags, print)
    case 'tokenize':
      return tokenizeCommand(positionals.slice(1).join(' '), { tokenizer: values.tokenizer, json: values.json, bos: values.bos })
    default:
      throw new AppError('invalid_input', `Unknown command "${command}". Run cpt-studio --help.`)
  }
}

function requireArg(value: string | undefined, usage: string): string {
  if (!value) throw new AppError('invalid_input', `Missing folder: cpt-studio ${usage}`)
  return value
}

function print(flags: Flags, json: unknown, text: string): number {
  process.stdout.write(flags.json ? JSON.stringify(json, null, 2) + '\n' : text + '\n')
  return 0
}

function describe(info: WorkspaceInfo): string {
  const tables = info.tables.length ? info.tables.map((t) => `  ${t.name}: ${t.rows} rows`).join('\n') : '  (none yet)'
  const folders = info.folders.map((f) => `  ${f.name}/: ${f.files} files, ${f.bytes} bytes`).join('\n')
  return `Workspace "${info.name}" at ${info.path}\nformat ${info.version}, created ${info.createdAt} by CPT Studio ${info.appVersion}\nTables:\n${tables}\nFolders:\n${folders}`
}

async function workspaceInit(dir: string, flags: Flags): Promise<number> {
  const ws = await Workspace.create(dir, typeof flags.name === 'string' ? { name: flags.name } : {})
  const info = await ws.info()
  ws.close()
  return print(flags, info, `Created ${describe(info)}`)
}

async function workspaceInfo(dir: string, flags: Flags): Promise<number> {
  const ws = await Workspace.open(dir)
  const info = await ws.info()
  ws.close()
  return print(flags, info, describe(info))
}

async function workspaceCheck(dir: string, flags: Flags): Promise<number> {
  const job = await runJob(dir, { kind: 'workspace-check', deep: Boolean(flags.deep) }, flags, () => false)
  print(flags, job, `${job.title}: ${job.status}${job.error ? ` (${job.error.message})` : ''}`)
  const result = job.result as { ok?: boolean } | null
  return job.status === 'succeeded' && result?.ok ? 0 : 1
}

async function listJobs(flags: Flags): Promise<number> {
  const dir = requireArg(flags.workspace as string | undefined, 'jobs --workspace DIR')
  const engine = await cliEngine(dir)
  try {
    const list = engine.requireWorkspace().jobs.list()
    const text = list.map((j) => `${j.id}  ${j.status.padEnd(11)} ${j.title}  ${j.progress.message}`).join('\n') || 'No jobs yet.'
    return print(flags, list, text)
  } finally {
    await engine.shutdown()
  }
}

async function serve(flags: Flags): Promise<number> {
  const dir = path.resolve(requireArg(flags.workspace as string | undefined, 'serve --workspace DIR'))
  const port = flags.port === undefined ? 0 : Number(flags.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new AppError('invalid_input', `--port must be a whole number from 0 to 65535, not "${String(flags.port)}".`)
  }
  const engine = await Engine.create({ host: { kind: 'web' } })
  const isWorkspace = existsSync(path.join(dir, WORKSPACE_FILE))
  const isEmpty = !existsSync(dir) || readdirSync(dir).filter((n) => !n.startsWith('.')).length === 0
  if (isWorkspace || !isEmpty) await engine.openWorkspace(dir)
  else await engine.createWorkspace(dir)
  const server = await startServer({ engine, port, rendererDir: path.resolve(__dirname, '../renderer') })
  print(flags, { url: server.url, port: server.port, workspace: dir }, `CPT Studio is serving workspace ${dir}\nOpen ${server.url}`)
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve())
  })
  await server.close()
  await engine.shutdown()
  return 0
}

export function run(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const info = toErrorInfo(err)
      const usage = err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')
      const message = usage ? `${info.message}. Run cpt-studio --help.` : info.message
      if (argv.includes('--json')) process.stdout.write(JSON.stringify({ error: { ...info, message } }, null, 2) + '\n')
      process.stderr.write(`cpt-studio: ${message}\n`)
      process.exit(usage || info.code !== 'internal' ? 2 : 1)
    },
  )
}

