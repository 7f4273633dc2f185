// Uploads from the web-mode UI land inside uploads/<id>/ whatever their names say.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/helpers/temp'
import { saveUploadChunk, uploadFolder } from './uploads'

const tmp = tempDir()
afterAll(() => tmp.cleanup())
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('uploads', () => {
  it('writes chunks in order inside the upload folder, keeping the dropped folder structure', async () => {
    expect(await saveUploadChunk(tmp.dir, 'up-12345678', 'pages/a.html', 0, b64('<p>hello '))).toBe(9)
    expect(await saveUploadChunk(tmp.dir, 'up-12345678', 'pages/a.html', 9, b64('world</p>'))).toBe(18)
    expect(readFileSync(path.join(tmp.dir, 'up-12345678', 'pages', 'a.html'), 'utf8')).toBe('<p>hello world</p>')
    expect(await uploadFolder(tmp.dir, 'up-12345678')).toBe(path.join(tmp.dir, 'up-12345678'))
  })

  it('refuses names that would leave the folder, and chunks out of order', async () => {
    for (const bad of ['../evil.txt', 'a/../../evil.txt', '..\\..\\evil.txt', 'C:\\evil.txt', 'a/\u0000b']) {
      await expect(saveUploadChunk(tmp.dir, 'up-abcdefgh', bad, 0, b64('x'))).rejects.toThrow(/Refusing the upload path/)
    }
    expect(existsSync(path.join(tmp.dir, 'evil.txt'))).toBe(false)
    // A leading slash only roots the path in the upload folder.
    await saveUploadChunk(tmp.dir, 'up-abcdefgh', '/etc/passwd', 0, b64('x'))
    expect(existsSync(path.join(tmp.dir, 'up-abcdefgh', 'etc', 'passwd'))).toBe(true)
    expect(existsSync(path.join(path.dirname(tmp.dir), 'evil.txt'))).toBe(false)
    await expect(saveUploadChunk(tmp.dir, 'up-abcdefgh', 'b.txt', 5, b64('x'))).rejects.toThrow(/expected its chunk at byte 0/)
    await expect(uploadFolder(tmp.dir, 'up-missing1')).rejects.toThrow(/drop the files again/)
  })
})
