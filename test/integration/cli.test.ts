// The cpt-studio command, run as a process: help, workspace init/info/check, errors with exit codes.
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { cli } from '../helpers/cli'
import { tempDir } from '../helpers/temp'

let tmp: ReturnType<typeof tempDir>
let env: Record<string, string>
beforeEach(() => {
  tmp = tempDir()
  env = { CPT_STUDIO_HOME: path.join(tmp.dir, 'home') }
})
afterEach(() => tmp.cleanup())

describe('cpt-studio CLI', () => {
  it('prints help', async () => {
    const r = await cli(['--help'], env)
    expect(r.code).toBe(0)
    for (const cmd of ['serve', 'workspace init', 'workspace info', 'workspace check']) expect(r.stdout).toContain(cmd)
  })

  it('initialises a workspace and describes it as JSON', async () => {
    const dir = path.join(tmp.dir, 'y')
    const init = await cli(['workspace', 'init', dir, '--name', 'Bilingual', '--json'], env)
    expect(init.code).toBe(0)
    expect(JSON.parse(init.stdout)).toMatchObject({ path: dir, name: 'Bilingual', tables: [] })
    const info = await cli(['workspace', 'info', dir, '--json'], env)
    const parsed = JSON.parse(info.stdout) as { folders: { name: string }[]; tables: unknown[] }
    expect(parsed.folders.map((f) => f.name)).toEqual(['models', 'runs', 'shards', 'jobs', 'uploads'])
    expect(parsed.tables).toEqual([])
    expect(existsSync(path.join(dir, 'db'))).toBe(true)
  })

  it('runs the workspace check job and exits 0 when all is consistent', async () => {
    const dir = path.join(tmp.dir, 'w')
    await cli(['workspace', 'init', dir], env)
    writeFileSync(path.join(dir, 'shards', 'part-0.bin'), Buffer.alloc(1024, 1))
    const r = await cli(['workspace', 'check', dir, '--json'], env)
    expect(r.code).toBe(0)
    const job = JSON.parse(r.stdout) as { status: string; result: { files: number; ok: boolean } }
    expect(job.status).toBe('succeeded')
    expect(job.result).toMatchObject({ files: 1, ok: true })
    const jobs = await cli(['jobs', '--workspace', dir, '--json'], env)
    expect((JSON.parse(jobs.stdout) as unknown[]).length).toBe(1)
  })

  it('says clearly when a folder is not a workspace, with a JSON error and exit code 2', async () => {
    const r = await cli(['workspace', 'info', tmp.dir, '--json'], env)
    expect(r.code).toBe(2)
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'not_a_workspace' } })
    expect(r.stderr).toContain('is not a CPT Studio workspace')
  })

  it('rejects unknown commands and options', async () => {
    expect((await cli(['frobnicate'], env)).code).toBe(2)
    const bad = await cli(['serve', '--prot', '1'], env)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--help/)
  })
})
