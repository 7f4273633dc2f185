// Reader tests on broken and odd inputs made in a temp folder: each problem's kind, file and place, and abort.
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { walkInputs } from './inputs'
import { readInput } from './read-input'
import { tempDir } from '../../../../test/helpers/temp'
import { collect, jsonl } from './test-helpers'

const tmp = tempDir('cpt-readers-')
const dir = tmp.dir
const at = (name: string): string => path.join(dir, name)
afterAll(() => tmp.cleanup())

describe('problems and edge cases', () => {
  it('reports each bad JSONL line by kind and line, and keeps U+2028 inside a record', async () => {
    const lines = [
      Buffer.from(JSON.stringify({ text: 'good one' })),
      Buffer.from('{"text": "unterminated'),
      Buffer.concat([Buffer.from('{"text": "bad '), Buffer.from([0xff, 0xfe]), Buffer.from(' bytes"}')]),
      Buffer.from(JSON.stringify({ body: 'no text field', id: 'x7' })),
      Buffer.from(JSON.stringify({ text: '   \n ' })),
      Buffer.from(JSON.stringify({ text: 'x'.repeat(500) })),
      Buffer.from(''),
      Buffer.from(`{"text": "line\u2028separator\u2029inside"}`),
      Buffer.from('[1, 2]'),
      Buffer.from(JSON.stringify({ content: 'from the content field', url: 'https://example.org/c' })),
    ]
    writeFileSync(at('broken.jsonl'), Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\r\n')])))
    const file = at('broken.jsonl')
    const { docs, problems } = await collect([file], { maxChars: 100 })
    expect(docs.map((d) => [d.provenance.line, d.text])).toEqual([
      [1, 'good one'],
      [8, 'line\u2028separator\u2029inside'],
      [10, 'from the content field'],
    ])
    expect(docs[2]?.url).toBe('https://example.org/c')
    expect(problems.map((p) => [p.kind, p.file, p.line])).toEqual([
      ['bad-record', file, 2],
      ['decode', file, 3],
      ['bad-record', file, 4],
      ['empty', file, 5],
      ['oversize', file, 6],
      ['bad-record', file, 9],
    ])
    expect(problems[0]?.reason).toMatch(/^invalid JSON: /)
    expect(problems[2]?.reason).toMatch(/no "text" \/ "content" \/ "raw_content" field; the record has: body, id\. .*--text-field/)
    expect(problems[4]?.reason).toMatch(/500 characters, over the limit of 100/)
  })

  it('streams JSON arrays by element and reads a single pretty-printed object', async () => {
    writeFileSync(at('array.json'), JSON.stringify([{ text: 'a [1]' }, { text: 'b, "quoted" }' }, { nope: 1 }, { text: 'd' }], null, 2))
    writeFileSync(at('object.json'), JSON.stringify({ text: 'only one', source: 'hand' }, null, 2))
    writeFileSync(at('cut.json.gz'), gzipSync('[{"text": "whole"}, {"text": "cut sh'))
    const { docs, problems } = await collect([at('array.json'), at('cut.json.gz'), at('object.json')])
    expect(docs.map((d) => [d.text, d.provenance.record, d.format])).toEqual([
      ['a [1]', 0, 'json'],
      ['b, "quoted" }', 1, 'json'],
      ['d', 3, 'json'],
      ['whole', 0, 'json'],
      ['only one', 0, 'json'],
    ])
    expect(problems.map((p) => [p.kind, path.basename(p.file), p.record])).toEqual([
      ['bad-record', 'array.json', 2],
      ['bad-record', 'cut.json.gz', 1],
    ])
  })

  it('reports a truncated WARC record with its offset', async () => {
    const html = '<html><head><title>Kept</title></head><body><p>A complete page in a WARC record.</p></body></html>'
    const http = `HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}`
    const record = (id: number, body: string, length = Buffer.byteLength(body)): string =>
      `WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://example.org/${id}\r\n` +
      `Content-Type: application/http; msgtype=response\r\nContent-Length: ${length}\r\n\r\n${body}`
    const first = record(1, http) + '\r\n\r\n'
    writeFileSync(at('cut.warc'), first + record(2, http.slice(0, 60), 5000))
    const file = at('cut.warc')
    const { docs, problems } = await collect([file])
    expect(docs).toHaveLength(1)
    expect(docs[0]).toMatchObject({ title: 'Kept', url: 'https://example.org/1', provenance: { file, record: 0, offset: 0 } })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ kind: 'bad-record', file, record: 1, offset: Buffer.byteLength(first) })
    expect(problems[0]?.reason).toMatch(/truncated: \d+ of 5000 bytes/)
  })

  it('sniffs files without a known extension and reports unknown binaries and missing paths', async () => {
    writeFileSync(at('page-no-ext'), '<!DOCTYPE html><html><body><p>Sniffed as HTML.</p></body></html>')
    writeFileSync(at('notes-no-ext'), 'Plain UTF-8 notes, ünïcödé.\r\nSecond line.')
    writeFileSync(at('blob.bin'), Buffer.from([0x00, 0x01, 0x02, 0x03, 0xff, 0x00, 0x10]))
    writeFileSync(at('letter.docx'), Buffer.from('PK\x03\x04 pretend office document', 'latin1'))
    const missing = at('does-not-exist.jsonl')
    const { docs, problems } = await collect([at('page-no-ext'), at('notes-no-ext'), at('blob.bin'), at('letter.docx'), missing])
    expect(docs.map((d) => [d.format, d.text])).toEqual([
      ['html', 'Sniffed as HTML.'],
      ['txt', 'Plain UTF-8 notes, ünïcödé.\nSecond line.'],
    ])
    expect(problems.map((p) => [p.kind, p.file])).toEqual([
      ['unsupported', at('blob.bin')],
      ['unsupported', at('letter.docx')],
      ['unreadable', missing],
    ])
    expect(problems[0]?.reason).toMatch(/^binary content of an unknown format; supported: HTML, JSONL/)
    expect(problems[2]?.reason).toBe('no such file or folder')
  })

  it('decodes GB18030 text, reports undecodable text and a gzip stream that breaks midway', async () => {
    writeFileSync(at('gb.txt'), Buffer.from([0xd6, 0xd0, 0xce, 0xc4, 0x0a])) // 中文 in GB18030
    writeFileSync(at('garbled.txt'), Buffer.from([0x41, 0xff, 0xff, 0x80, 0x42]))
    const whole = gzipSync(jsonl(Array.from({ length: 2000 }, (_, i) => ({ text: `record number ${i} `.repeat(5) }))))
    writeFileSync(at('cut.jsonl.gz'), whole.subarray(0, Math.floor(whole.length / 2)))
    const { docs, problems } = await collect([at('gb.txt'), at('garbled.txt'), at('cut.jsonl.gz')])
    expect(docs[0]).toMatchObject({ format: 'txt', text: '中文' })
    expect(docs.length).toBeGreaterThan(100)
    expect(docs.length).toBeLessThan(2000)
    expect(problems.map((p) => [p.kind, path.basename(p.file)])).toEqual([
      ['decode', 'garbled.txt'],
      ['unreadable', 'cut.jsonl.gz'],
    ])
    expect(problems[1]?.reason).toMatch(/^reading stopped after .*: unexpected end of file/)
  })

  it('stops at the next record when aborted', async () => {
    writeFileSync(at('many.jsonl'), jsonl(Array.from({ length: 100 }, (_, i) => ({ text: `record ${i}` }))))
    const controller = new AbortController()
    let count = 0
    for await (const input of walkInputs([at('many.jsonl')])) {
      if ('kind' in input) throw new Error(input.reason)
      for await (const item of readInput(input, { maxChars: 1000, signal: controller.signal })) {
        expect(item.type).toBe('doc')
        if (++count === 3) controller.abort()
      }
    }
    expect(count).toBe(3)
  })
})
