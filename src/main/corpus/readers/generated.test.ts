// Reader tests on inputs made in a temp folder: Parquet, PDF, zip, zstd, legacy charsets, scripts and math in HTML.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { afterAll, describe, expect, it } from 'vitest'
import { htmlToDocument } from './html'
import { walkInputs } from './inputs'
import { readInput } from './read-input'
import { tempDir } from '../../../../test/helpers/temp'
import { collect, jsonl, makePdf, makeZip, zstdRawFrame } from './test-helpers'

const tmp = tempDir('cpt-readers-')
const dir = tmp.dir
const at = (name: string): string => path.join(dir, name)
afterAll(() => tmp.cleanup())

describe('generated inputs', () => {
  it('reads Parquet row groups with the text column, ids and urls', async () => {
    const texts = ['first row', 'second row', '', 'fourth row', 'fifth row']
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'id', data: texts.map((_, i) => `doc-${i}`), type: 'STRING' },
        { name: 'text', data: texts, type: 'STRING' },
        { name: 'url', data: texts.map((_, i) => `https://example.org/${i}`), type: 'STRING' },
        { name: 'score', data: texts.map((_, i) => i / 10), type: 'DOUBLE' },
      ],
      rowGroupSize: 2,
    })
    writeFileSync(at('shard.parquet'), new Uint8Array(buffer))
    const { docs, problems } = await collect([at('shard.parquet')])
    expect(docs.map((d) => [d.text, d.provenance.record, d.sourceId])).toEqual([
      ['first row', 0, 'doc-0'],
      ['second row', 1, 'doc-1'],
      ['fourth row', 3, 'doc-3'],
      ['fifth row', 4, 'doc-4'],
    ])
    expect(docs[0]).toMatchObject({ format: 'parquet', url: 'https://example.org/0' })
    expect(problems).toEqual([{ kind: 'empty', file: at('shard.parquet'), record: 2, reason: expect.any(String) as string }])

    const other = await collect([at('shard.parquet')], { textField: 'body' })
    expect(other.docs).toEqual([])
    expect(other.problems[0]?.reason).toMatch(/no "body" column; the file has: id, text, url, score\. .*--text-field/)
  })

  it('extracts text and title from a hand-written PDF, and reports a damaged one', async () => {
    writeFileSync(at('paper.pdf'), makePdf(['Hello PDF world', 'Second page here'], 'A Tiny Test'))
    writeFileSync(at('broken.pdf'), '%PDF-1.4\nthis is not really a pdf\n')
    const { docs, problems } = await collect([at('paper.pdf'), at('broken.pdf')])
    expect(docs).toHaveLength(1)
    expect(docs[0]).toMatchObject({ format: 'pdf', title: 'A Tiny Test', text: 'Hello PDF world\n\nSecond page here' })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatchObject({ kind: 'unreadable', file: at('broken.pdf') })
    expect(problems[0]?.reason).toMatch(/damaged|PDF/)
  })

  it('reads zip members in nested folders and never touches an unsafe member', async () => {
    const inner = await makeZip({ 'x.txt': 'inner' })
    const zip = await makeZip({
      'site/a/b/page.html': '<html><head><title>Zipped page</title></head><body><p>Hello from inside the archive.</p></body></html>',
      'data/records.jsonl': jsonl([{ text: 'zipped record one' }, { text: 'zipped record two' }]),
      'data/.hidden/secret.txt': 'should be skipped',
      'notes/readme.md': '# Notes\n\nSome markdown.',
      'nested/inner.zip': inner,
      '../../evil.txt': 'escape attempt',
      '..\\..\\evil2.txt': 'escape attempt with backslashes',
    })
    const sub = path.join(dir, 'zips', 'deep')
    mkdirSync(sub, { recursive: true })
    const file = path.join(sub, 'bundle.zip')
    writeFileSync(file, zip)
    const before = readdirSync(dir).sort()

    const { docs, problems, inputs } = await collect([file])
    expect(inputs.map((i) => [i.member, i.format])).toEqual([
      ['site/a/b/page.html', 'html'],
      ['data/records.jsonl', 'jsonl'],
      ['notes/readme.md', 'md'],
    ])
    expect(docs.map((d) => [d.provenance.member, d.text])).toEqual([
      ['site/a/b/page.html', 'Hello from inside the archive.'],
      ['data/records.jsonl', 'zipped record one'],
      ['data/records.jsonl', 'zipped record two'],
      ['notes/readme.md', '# Notes\n\nSome markdown.'],
    ])
    expect(docs[0]?.title).toBe('Zipped page')
    expect(docs[3]?.title).toBe('Notes')
    expect(docs.every((d) => d.provenance.file === file)).toBe(true)
    expect(problems.map((p) => [p.kind, p.member])).toEqual([
      ['unsupported', 'nested/inner.zip'],
      ['unsafe-path', '../../evil.txt'],
      ['unsafe-path', '..\\..\\evil2.txt'],
    ])
    // Nothing was extracted anywhere the names point to.
    expect(existsSync(path.resolve(sub, '../../evil.txt'))).toBe(false)
    expect(existsSync(path.resolve(sub, '../../evil2.txt'))).toBe(false)
    expect(existsSync(path.resolve(process.cwd(), '../../evil.txt'))).toBe(false)
    expect(readdirSync(dir).sort()).toEqual(before)
  })

  it('decompresses a hand-made .jsonl.zst and counts raw bytes', async () => {
    const body = Buffer.from(jsonl([{ text: 'zstd one', id: 1 }, { text: 'zstd two', id: 2 }]))
    const frame = zstdRawFrame(body)
    writeFileSync(at('tiny.jsonl.zst'), frame)
    const items = []
    let bytes = 0
    for await (const input of walkInputs([at('tiny.jsonl.zst')])) {
      if ('kind' in input) throw new Error(input.reason)
      expect(input).toMatchObject({ format: 'jsonl', compression: 'zstd', size: frame.length })
      for await (const item of readInput(input, { maxChars: 1000 }, (n) => (bytes += n))) items.push(item)
    }
    expect(items.map((i) => (i.type === 'doc' ? [i.doc.text, i.doc.sourceId, i.doc.provenance.line] : i))).toEqual([
      ['zstd one', '1', 1],
      ['zstd two', '2', 2],
    ])
    expect(bytes).toBe(frame.length)
  })

  it('decodes GB2312 pages by their meta charset', async () => {
    const head = Buffer.from('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>')
    const zhongwen = Buffer.from([0xd6, 0xd0, 0xce, 0xc4]) // 中文 in GB2312
    const ceshi = Buffer.from([0xb2, 0xe2, 0xca, 0xd4]) // 测试
    const page = Buffer.concat([head, zhongwen, Buffer.from('</title></head><body><p>'), ceshi, zhongwen, Buffer.from('</p></body></html>')])
    writeFileSync(at('gb.html'), page)
    const { docs } = await collect([at('gb.html')])
    expect(docs[0]).toMatchObject({ title: '中文', text: '测试中文' })
  })

  it('never lets a script through as markup', () => {
    const page =
      '<html><head><title>T</title><script>var leaked = 1</script></head><body><h1>Heading</h1>' +
      '<p>Before <script>alert(1)</script> after &lt;script&gt;shown as text&lt;/script&gt;.</p>' +
      '<ul><li>one</li><li>two</li></ul><pre><code>x = 1\n  y = 2</code></pre>' +
      '<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table></body></html>'
    const { text } = htmlToDocument(page)
    expect(text).not.toContain('alert(1)')
    expect(text).not.toContain('leaked')
    // Only escaped text that the page itself displays may read like a tag; it is plain text here.
    expect(text).toContain('Before after <script>shown as text</script>.')
    expect(text).toContain('- one\n- two')
    expect(text).toContain('```\nx = 1\n  y = 2\n```')
    expect(text).toContain('| a | b |\n| 1 | 2 |')
  })

  it('keeps MathML and MathJax script math as LaTeX', () => {
    const page =
      '<html><body><article><p>Inline <script type="math/tex">a^2+b^2=c^2</script> and display:</p>' +
      '<script type="math/tex; mode=display">\\int_0^1 x\\,dx</script>' +
      '<p>MathML: <math alttext="\\sqrt{2}"><msqrt><mn>2</mn></msqrt></math> and ' +
      '<math display="block"><semantics><mi>x</mi><annotation encoding="application/x-tex">\\frac{1}{x}</annotation></semantics></math></p>' +
      '<p>Text math stays: \\(e^{i\\pi}+1=0\\) and \\[E=mc^2\\].</p></article></body></html>'
    const { text } = htmlToDocument(page)
    expect(text).toContain('$a^2+b^2=c^2$')
    expect(text).toContain('$$\\int_0^1 x\\,dx$$')
    expect(text).toContain('$\\sqrt{2}$')
    expect(text).toContain('$$\\frac{1}{x}$$')
    expect(text).toContain('\\(e^{i\\pi}+1=0\\) and \\[E=mc^2\\]')
  })
})
