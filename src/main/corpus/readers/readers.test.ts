// Reader tests on the team's real data: web pages (English, Chinese, math), Dolma JSONL/JSON.gz and WARC.gz.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { walkInputs } from './inputs'
import { DATA, HAVE_DATA, collect } from './test-helpers'

if (!HAVE_DATA) console.warn(`readers: real-data tests skipped, ${DATA} is absent`)

const PAGES = path.join(DATA, 'pages')
const DOLMA = path.join(DATA, 'corpus/dolma')
const HAN = /[\u4e00-\u9fff]/g

describe.skipIf(!HAVE_DATA)('readers on real data (shared/data)', () => {
  it('extracts an English SciPy page: title, main text, LaTeX kept, navigation gone', async () => {
    const file = path.join(PAGES, 'en/python-scipy-doc/python-scipy-doc/html/tutorial/stats/continuous_wald.html')
    const { docs, problems } = await collect([file])
    expect(problems).toEqual([])
    expect(docs).toHaveLength(1)
    const doc = docs[0]!
    expect(doc.format).toBe('html')
    expect(doc.provenance).toEqual({ file })
    expect(doc.title).toMatch(/^Wald Distribution/)
    expect(doc.text).toContain('Special case of the Inverse Normal')
    expect(doc.text).toContain('\\(x\\geq0\\)')
    expect(doc.text).toContain('\\frac{1}{\\sqrt{2\\pi x^{3}}}')
    for (const boilerplate of ['Getting started', 'Release notes', 'Multidimensional image processing', 'fontawesome']) {
      expect(doc.text).not.toContain(boilerplate)
    }
    expect(doc.text).not.toMatch(/<\w+[^>]*>/)
  })

  it('turns SymPy image math into LaTeX and keeps headings and code as Markdown', async () => {
    const file = path.join(PAGES, 'en/python-sympy-doc/python-sympy-doc/html/modules/physics/units/examples.html')
    const [doc] = (await collect([file])).docs
    expect(doc?.title).toMatch(/^Examples/)
    expect(doc?.text).toContain('$$F = \\frac{G m M}{r^2}$$')
    expect(doc?.text).toContain('$m, a$')
    expect(doc?.text).toMatch(/^## Dimensional analysis$/m)
    expect(doc?.text).toContain('```\n>>> from sympy.physics.units import convert_to\n')
    expect(doc?.text).not.toContain('Toggle table of contents')
  })

  it('reads Chinese pages as Chinese text with their titles, and walks a folder named like a file', async () => {
    const calc = path.join(PAGES, 'zh/libreoffice-help-zh-cn/libreoffice/help/zh-CN/text/scalc/01')
    const { docs, problems, inputs } = await collect([calc])
    expect(problems).toEqual([])
    expect(docs.length).toBe(inputs.length)
    expect(docs.length).toBeGreaterThan(30)
    const sumifs = docs.find((d) => d.provenance.file.endsWith('func_sumifs.html'))
    expect(sumifs?.title).toBe('SUMIFS 函数')
    expect(sumifs?.text).toContain('返回多个区域中满足多个条件的区域中的单元格值之和')
    for (const d of docs) expect(d.text.match(HAN)?.length ?? 0).toBeGreaterThan(20)
    // Paths come sorted, so an import is repeatable.
    const files = inputs.map((i) => i.file)
    expect(files).toEqual([...files].sort())

    const octave = await collect([path.join(PAGES, 'en/octave-doc/octave/octave.html')])
    expect(octave.inputs.length).toBeGreaterThan(5)
    expect(octave.docs.find((d) => d.title?.startsWith('Special Functions'))?.text).toContain('airy')
  })

  it('reads the Debian reference preface with lists and Chinese text', async () => {
    const { docs } = await collect([path.join(PAGES, 'zh/debian-reference-zh-cn/debian-reference/pr01.zh-cn.html')])
    expect(docs[0]?.title).toBe('序言')
    expect(docs[0]?.text).toMatch(/^- 仅提供概览，而忽略边界情况。/m)
  })

  it('splits fortune files into entries and strips ANSI colour codes', async () => {
    const file = path.join(PAGES, 'zh/fortunes-zh/games/fortunes/tang300')
    const { docs, problems, inputs } = await collect([file])
    expect(problems).toEqual([])
    expect(inputs[0]?.format).toBe('txt') // no extension: sniffed as UTF-8 text
    const entries = readFileSync(file, 'utf8').split(/^%$/m).filter((e) => e.trim() !== '')
    expect(docs.length).toBe(entries.length)
    expect(docs.length).toBeGreaterThan(300)
    expect(docs.every((d) => !d.text.includes('\x1b'))).toBe(true)
    expect(docs[0]?.text).toMatch(/^《感遇.其一》\n作者：张九龄\n/)
    expect(docs[5]?.provenance).toEqual({ file, record: 5 })
  })

  it('reads Dolma JSONL with ids, sources and metadata', async () => {
    const file = path.join(DOLMA, 'multiple_files/cc_en_head-0174.jsonl')
    const { docs, problems } = await collect([file])
    expect(problems).toEqual([])
    expect(docs).toHaveLength(10)
    expect(docs.map((d) => d.provenance.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    const first = docs[0]!
    expect(first.sourceId).toBe('http://archives2.getty.edu:8082/xtf/view?docId=ead/2002.M.13/2002.M.13.xml')
    expect(first.format).toBe('jsonl')
    expect(first.meta?.added).toBe('2023-04-07T03:31:49.216968+00:00')
    expect((first.meta?.metadata as Record<string, unknown>).language).toBe('en')
  })

  it('reads JSONL.gz, reporting records with empty text by line', async () => {
    const file = path.join(DOLMA, 'formats/gz/CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz')
    const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n')
    const emptyLines = lines.flatMap((l, i) => ((JSON.parse(l) as { text: string }).text.trim() === '' ? [i + 1] : []))
    const { docs, problems } = await collect([file])
    expect(docs.length + problems.length).toBe(lines.length)
    expect(problems.map((p) => [p.kind, p.line])).toEqual(emptyLines.map((l) => ['empty', l]))
    expect(problems.every((p) => p.file === file)).toBe(true)
    expect(docs[0]?.source).toBe('test_gz')
    // metadata.url has no scheme; metadata.warc_url does and wins.
    expect(docs[0]?.url).toBe('http://16thfleet.wikidot.com/chatter:anewhome')
  })

  it('detects that Dolma\'s documents/000.json.gz is JSONL despite its name', async () => {
    const file = path.join(DOLMA, 'provided/documents/000.json.gz')
    const { docs, problems, inputs } = await collect([file])
    expect(inputs[0]).toMatchObject({ format: 'json', compression: 'gzip' })
    expect(problems).toEqual([])
    expect(docs).toHaveLength(10)
    expect(docs[0]).toMatchObject({ format: 'jsonl', source: 'common-crawl', provenance: { file, line: 1 } })
    expect(docs[0]?.sourceId).toBe('http://advocatesaz.org/tag/antibiotic-resistant-bacteria/')
  })

  it('turns every HTML response of the Common Crawl WARC.gz files into a document with its URL', async () => {
    // Responses per file, counted with zgrep: all are 200 OK with an HTML Content-Type.
    const expected: Record<string, number> = { 'sample-0000.warc.gz': 22, 'sample-0001.warc.gz': 15 }
    for (const [name, count] of Object.entries(expected)) {
      const file = path.join(DOLMA, 'warc', name)
      const { docs, problems } = await collect([file])
      expect(problems).toEqual([])
      expect(docs).toHaveLength(count)
      const raw = gunzipSync(readFileSync(file))
      for (const doc of docs) {
        expect(doc.format).toBe('warc')
        expect(doc.url).toMatch(/^https?:\/\//)
        expect(doc.text.length).toBeGreaterThan(0)
        // The offset points at the record's version line in the decompressed stream.
        const at = doc.provenance.offset!
        expect(raw.subarray(at, at + 8).toString('latin1')).toBe('WARC/1.0')
        expect(raw.subarray(at, at + 2000).toString('latin1')).toContain(`WARC-Target-URI: <${doc.url}>`)
      }
      const records = docs.map((d) => d.provenance.record!)
      expect(records).toEqual([...records].sort((a, b) => a - b))
    }
  })

  it('keeps MathJax LaTeX from the science WARCs', async () => {
    const { docs, problems } = await collect([path.join(DOLMA, 'science')])
    expect(problems).toEqual([])
    expect(docs).toHaveLength(4)
    const math = docs.find((d) => d.url === 'http://localhost:8000/math.html')
    expect(math?.title).toBe('MathJax LaTeX Example')
    expect(math?.text).toContain('\\( E = mc^2 \\)')
    expect(math?.text).toContain('\\int_{a}^{b} f(x) \\,dx = F(b) - F(a)')
    expect(math?.text).not.toContain('MathJax = {')
  })

  it('lists a whole corpus folder deterministically', async () => {
    const list = async (): Promise<string[]> => {
      const names: string[] = []
      for await (const item of walkInputs([DOLMA])) names.push('kind' in item ? `problem:${item.file}` : item.file)
      return names
    }
    const first = await list()
    expect(first).toEqual(await list())
    expect(first.map((f) => path.relative(DOLMA, f))).toEqual([
      'LICENSE',
      'formats/gz/CC-MAIN-20190717121559-20190717143559-00140.jsonl.gz',
      'multiple_files/cc_en_head-0091.jsonl',
      'multiple_files/cc_en_head-0174.jsonl',
      'provided/documents/000.json.gz',
      'science/0.warc.gz',
      'science/1.warc.gz',
      'warc/sample-0000.warc.gz',
      'warc/sample-0001.warc.gz',
    ])
  })
})
