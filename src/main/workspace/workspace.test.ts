import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppError } from '../../shared/errors'
import { WORKSPACE_FORMAT_VERSION } from '../../shared/workspace'
import { tempDir } from '../../../test/helpers/temp'
import { WORKSPACE_FILE, Workspace } from './workspace'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => (tmp = tempDir()))
afterEach(() => tmp.cleanup())

async function errorOf(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(AppError)
  return err as AppError
}

describe('Workspace', () => {
  it('creates the layout and reopens it', async () => {
    const dir = path.join(tmp.dir, 'ws')
    const ws = await Workspace.create(dir, { name: 'Science CPT' })
    const info = await ws.info()
    expect(info.name).toBe('Science CPT')
    expect(info.version).toBe(WORKSPACE_FORMAT_VERSION)
    expect(info.folders.map((f) => f.name)).toEqual(['models', 'runs', 'shards', 'jobs', 'uploads'])
    expect(info.tables).toEqual([])
    ws.close()
    const again = await Workspace.open(dir)
    expect(again.name).toBe('Science CPT')
    again.close()
  })

  it('lists LanceDB tables with their row counts', async () => {
    const ws = await Workspace.create(path.join(tmp.dir, 'ws'))
    const db = await ws.db()
    await db.createTable('documents', [{ id: 'a', text: 'hello' }, { id: 'b', text: '你好' }])
    const info = await ws.info()
    expect(info.tables).toEqual([{ name: 'documents', rows: 2 }])
    ws.close()
  })

  it('refuses a folder that is not a workspace, naming the file to look for', async () => {
    const err = await errorOf(Workspace.open(tmp.dir))
    expect(err.code).toBe('not_a_workspace')
    expect(err.message).toContain(WORKSPACE_FILE)
  })

  it('refuses a workspace from a newer app version', async () => {
    const dir = path.join(tmp.dir, 'ws')
    ;(await Workspace.create(dir)).close()
    writeFileSync(
      path.join(dir, WORKSPACE_FILE),
      JSON.stringify({ format: 'cpt-studio-workspace', version: WORKSPACE_FORMAT_VERSION + 1, appVersion: '9.0.0', createdAt: '', settings: { name: 'x' } }),
    )
    const err = await errorOf(Workspace.open(dir))
    expect(err.code).toBe('workspace_too_new')
    expect(err.message).toMatch(/newer CPT Studio/)
  })

  it('names the bad field of a damaged settings file', async () => {
    const dir = path.join(tmp.dir, 'ws')
    ;(await Workspace.create(dir)).close()
    writeFileSync(path.join(dir, WORKSPACE_FILE), JSON.stringify({ format: 'cpt-studio-workspace', version: 1, appVersion: '0.1.0', createdAt: '', settings: { name: 42 } }))
    const err = await errorOf(Workspace.open(dir))
    expect(err.code).toBe('not_a_workspace')
    expect(err.message).toContain('settings.name')
    writeFileSync(path.join(dir, WORKSPACE_FILE), '{ not json')
    expect((await errorOf(Workspace.open(dir))).message).toMatch(/not valid JSON/)
  })

  it('never creates a workspace over existing files or another workspace', async () => {
    mkdirSync(path.join(tmp.dir, 'full'))
    writeFileSync(path.join(tmp.dir, 'full', 'thesis.tex'), 'mine')
    expect((await errorOf(Workspace.create(path.join(tmp.dir, 'full')))).code).toBe('conflict')
    const dir = path.join(tmp.dir, 'ws')
    ;(await Workspace.create(dir)).close()
    expect((await errorOf(Workspace.create(dir))).message).toMatch(/already a CPT Studio workspace/)
  })
})
