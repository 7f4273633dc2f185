// DOM to plain text with light Markdown structure (headings, lists, code fences, table rows).

/** Never text: scripts and styles are dropped with their contents so no markup survives as text. */
const SKIP = new Set([
  'SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'CANVAS',
  'SELECT', 'BUTTON', 'INPUT', 'TEXTAREA', 'HEAD', 'LINK', 'META',
])
const BLOCK = new Set([
  'ADDRESS', 'ARTICLE', 'ASIDE', 'BLOCKQUOTE', 'BODY', 'DD', 'DETAILS', 'DIV', 'DL', 'DT', 'FIELDSET',
  'FIGCAPTION', 'FIGURE', 'FOOTER', 'FORM', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HR', 'LI',
  'MAIN', 'NAV', 'OL', 'P', 'PRE', 'SECTION', 'SUMMARY', 'TABLE', 'UL', 'CAPTION', 'HTML',
])

interface Out {
  blocks: string[]
  line: string
}

const ELEMENT = 1
const TEXT = 3

function flush(out: Out): void {
  const text = out.line
    .split('\n')
    .map((l) => l.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{2,}/g, '\n')
    .trim()
  if (text) out.blocks.push(text)
  out.line = ''
}

function children(node: Node, out: Out): void {
  for (let c = node.firstChild; c; c = c.nextSibling) walk(c, out)
}

/** Inline text of an element, on one line. */
function inline(el: Element): string {
  const out: Out = { blocks: [], line: '' }
  children(el, out)
  flush(out)
  return out.blocks.join(' ').replace(/\s+/g, ' ')
}

function subBlocks(el: Element): string[] {
  const out: Out = { blocks: [], line: '' }
  children(el, out)
  flush(out)
  return out.blocks
}

function list(el: Element, ordered: boolean): string {
  const items: string[] = []
  let n = 1
  for (const li of Array.from(el.children)) {
    if (li.tagName !== 'LI') continue
    const marker = ordered ? `${n++}. ` : '- '
    const lines = subBlocks(li).join('\n').split('\n')
    if (lines.length === 1 && lines[0] === '') continue
    items.push(lines.map((l, i) => (i === 0 ? marker + l : '  ' + l)).join('\n'))
  }
  return items.join('\n')
}

function table(el: Element): string {
  const rows: string[] = []
  for (const tr of Array.from(el.querySelectorAll('tr'))) {
    if (tr.closest('table') !== el) continue
    const cells = Array.from(tr.children)
      .filter((c) => c.tagName === 'TD' || c.tagName === 'TH')
      .map((c) => inline(c).replace(/\|/g, '\\|'))
    if (cells.some((c) => c !== '')) rows.push(`| ${cells.join(' | ')} |`)
  }
  return rows.join('\n')
}

function walk(node: Node, out: Out): void {
  if (node.nodeType === TEXT) {
    out.line += (node.nodeValue ?? '').replace(/\s+/g, ' ')
    return
  }
  if (node.nodeType !== ELEMENT) return
  const el = node as Element
  const tag = el.tagName.toUpperCase()
  if (SKIP.has(tag) || el.getAttribute('hidden') !== null) return
  if (tag === 'BR') {
    out.line += '\n'
    return
  }
  if (tag === 'CODE' || tag === 'KBD' || tag === 'SAMP') {
    const code = (el.textContent ?? '').replace(/\s+/g, ' ').trim()
    if (code) out.line += code.includes('`') ? ` ${code} ` : `\`${code}\``
    return
  }
  if (!BLOCK.has(tag)) {
    children(el, out)
    return
  }
  flush(out)
  const heading = /^H([1-6])$/.exec(tag)
  if (heading) {
    const text = inline(el)
    if (text) out.blocks.push(`${'#'.repeat(Number(heading[1]))} ${text}`)
  } else if (tag === 'PRE') {
    const code = (el.textContent ?? '').replace(/^\n+|\s+$/g, '')
    if (code) out.blocks.push('```\n' + code + '\n```')
  } else if (tag === 'UL' || tag === 'OL') {
    const text = list(el, tag === 'OL')
    if (text) out.blocks.push(text)
  } else if (tag === 'TABLE') {
    const text = table(el)
    if (text) out.blocks.push(text)
  } else if (tag === 'BLOCKQUOTE') {
    const text = subBlocks(el).join('\n\n')
    if (text) out.blocks.push(text.split('\n').map((l) => (l ? `> ${l}` : '>')).join('\n'))
  } else {
    children(el, out)
    flush(out)
  }
}

/** Renders an element's content as text blocks separated by blank lines. */
export function toMarkdown(root: Node): string {
  const out: Out = { blocks: [], line: '' }
  walk(root, out)
  flush(out)
  return out.blocks.join('\n\n')
}
