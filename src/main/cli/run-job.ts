// Running a job from the command line: in this process's engine, to its end, with progress on stderr.
import { AppError } from '../../shared/errors'
import type { Job, JobRequest } from '../../shared/jobs'
import { Engine } from '../engine'

export type Flags = Record<string, string | boolean | undefined>
export type Print = (flags: Flags, json: unknown, text: string) => number

const UNFINISHED: Job['status'][] = ['pending', 'running', 'paused', 'failed', 'interrupted']

/** A CLI engine has no UI: it neither remembers workspaces in the user's recent list nor picks folders. */
export async function cliEngine(dir: string): Promise<Engine> {
  const engine = await Engine.create({ host: { kind: 'web' }, rememberWorkspaces: false })
  await engine.openWorkspace(dir)
  return engine
}

/** Runs a job to its end in this process, showing progress on stderr unless --json. */
export async function runJob(dir: string, input: JobRequest, flags: Flags, same: (j: Job) => boolean): Promise<Job> {
  const engine = await cliEngine(dir)
  try {
    const { jobs } = engine.requireWorkspace()
    if (!flags.json) {
      engine.events.subscribe((event, payload) => {
        if (event === 'job:log') process.stderr.write(`${(payload as { line: string }).line}\n`)
        if (event === 'job:changed' && process.stderr.isTTY) {
          const p = (payload as Job).progress
          const pct = p.total ? ` ${Math.floor((100 * p.done) / p.total)}%` : ''
          process.stderr.write(`\r${pct} ${p.message}`.padEnd(80).slice(0, 100))
        }
      })
    }
    // An import killed earlier is resumed (the runner re-queued it), not started a second time.
    const unfinished = jobs.list().find((j) => UNFINISHED.includes(j.status) && same(j))
    let id: string
    if (unfinished) {
      if (!flags.json) process.stderr.write(`Resuming the unfinished job ${unfinished.id}\n`)
      if (['paused', 'failed', 'interrupted'].includes(unfinished.status)) await jobs.resume(unfinished.id)
      id = unfinished.id
    } else {
      id = (await jobs.start(input)).id
    }
    await jobs.idle()
    if (!flags.json && process.stderr.isTTY) process.stderr.write('\n')
    return jobs.get(id)
  } finally {
    await engine.shutdown()
  }
}


/** The --workspace flag, or a clear error showing the command's usage. */
export function workspaceFlag(flags: Flags, usage: string): string {
  if (typeof flags.workspace !== 'string') throw new AppError('invalid_input', `Missing --workspace DIR: cpt-studio ${usage}`)
  return flags.workspace
}
