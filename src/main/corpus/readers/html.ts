// HTML reader: charset detection, LaTeX-preserving math rewriting, Readability main-content extraction.
import { Readability } from '@mozilla/readability'
import { parseHTML } from 'linkedom'
import type { ReadItem } from '../types'
import { readAll } from './bytes'
import { MAX_WHOLE_FILE_BYTES, formatBytes, problem, textItem, type ReadContext } from './common'
import { toMarkdown } from './markdown'

/** Readability's pick is trusted above this length; a shorter one may be a footer or a footnote. */
const TRUSTED_ARTICLE_CHARS = 1000

function charsetFromMeta(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4096)).toString('latin1')
  return /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1]
}

function tryDecode(bytes: Uint8Array, label: string, fatal: boolean): string | undefined {
  try {
    return new TextDecoder(label, { fatal }).decode(bytes)
  } catch {
    return undefined // unknown label, or bytes invalid in it
  }
}

/**
 * Bytes to text: the HTTP charset when given, then valid UTF-8, then the page's <meta> charset
 * (gb2312/gbk/gb18030 come through Node's ICU), then windows-1252, which never fails.
 */
export function decodeHtml(bytes: Uint8Array, httpCharset?: string): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return tryDecode(bytes, 'utf-8', false) ?? ''
  if (httpCharset) {
    const text = tryDecode(bytes, httpCharset, true)
    if (text !== undefined) return text
  }
  const utf8 = tryDecode(bytes, 'utf-8', true)
  if (utf8 !== undefined) return utf8
  const meta = charsetFromMeta(bytes)
  return (meta && tryDecode(bytes, meta, false)) || (tryDecode(bytes, 'windows-1252', false) ?? '')
}

/** Removed before extraction: never page text, and a smaller tree makes Readability faster. */
const NOT_TEXT = [
  'script', 'style', 'noscript', 'template', 'nav', '[role="navigation"]',
  // MathJax 2's rendered copy would repeat each formula as glyphs; Sphinx permalinks add a stray ¶ or #.
  '.MathJax_Preview', '.MathJax', '.MathJax_Display', '.MathJax_SVG', '.MathJax_CHTML',
  '.headerlink', '.visually-hidden', '.sr-only', '.screen-reader-text',
].join(', ')

function isBlockMath(el: Element): boolean {
  return el.getAttribute('display') === 'block' || el.getAttribute('mode') === 'display'
}

/**
 * Prepares the page before Readability runs (it drops scripts, images, MathML and all classes):
 * math becomes LaTeX text (MathJax script tags, MathML with a TeX annotation or alttext, TeX images'
 * alt text), and elements that are not page text are removed.
 */
function prepare(document: Document): void {
  const replace = (el: Element, tex: string, display: boolean): void => {
    el.replaceWith(document.createTextNode(display ? ` $$${tex}$$ ` : ` $${tex}$ `))
  }
  for (const el of Array.from(document.querySelectorAll('script'))) {
    const type = (el.getAttribute('type') ?? '').toLowerCase()
    if (type.startsWith('math/tex')) replace(el, (el.textContent ?? '').trim(), /mode\s*=\s*display/.test(type))
  }
  for (const el of Array.from(document.querySelectorAll('math'))) {
    const annotation = Array.from(el.querySelectorAll('annotation')).find((a) => /^(application\/x-tex|TeX)$/i.test(a.getAttribute('encoding') ?? ''))
    const tex = (el.getAttribute('alttext') ?? annotation?.textContent ?? '').trim()
    if (tex) replace(el, tex, isBlockMath(el))
  }
  for (const el of Array.from(document.querySelectorAll('img[alt]'))) {
    const tex = (el.getAttribute('alt') ?? '').trim()
    const display = el.closest('div.math') !== null
    if (tex && (display || /\b(math|latex|tex)\b/i.test(el.getAttribute('class') ?? ''))) replace(el, tex, display)
  }
  // Sphinx puts display environments (\begin{align}...) in div.math without delimiters; bare formulas get $$.
  for (const el of Array.from(document.querySelectorAll('div.math'))) {
    const tex = (el.textContent ?? '').trim()
    if (tex && !/^(\\\[|\$\$|\\begin\{|\\\()/.test(tex) && el.children.length === 0) el.textContent = `$$${tex}$$`
  }
  for (const el of Array.from(document.querySelectorAll(NOT_TEXT))) el.remove()
}

function cleanTitle(title: string | null | undefined): string | undefined {
  const t = (title ?? '').replace(/\s+/g, ' ').trim()
  return t === '' ? undefined : t
}

/** Main content of a page as text with Markdown structure, plus its title. */
export function htmlToDocument(html: string, url?: string): { title?: string; text: string } {
  const { document } = parseHTML(html)
  prepare(document)
  const pageTitle = cleanTitle(document.querySelector('title')?.textContent)
  let article: ReturnType<Readability<Node>['parse']> = null
  try {
    // linkedom has no URL of its own; Readability resolves links against documentURI.
    if (url) Object.defineProperty(document, 'documentURI', { value: url })
    article = new Readability<Node>(document, { serializer: (n) => n }).parse()
  } catch {
    article = null // Readability gives up on odd DOMs; the fallback below still works
  }
  let text = article?.content ? toMarkdown(article.content) : ''
  if (text.length < TRUSTED_ARTICLE_CHARS) {
    // Readability mutated the tree; parse again and take the page's main region (or body) without its chrome.
    const fresh = parseHTML(html).document
    prepare(fresh)
    for (const el of Array.from(fresh.querySelectorAll('header, footer, aside'))) el.remove()
    const root = fresh.querySelector('main, [role="main"], article') ?? fresh.body
    const whole = root ? toMarkdown(root) : ''
    if (whole.length > 2 * text.length) text = whole
  }
  const title = cleanTitle(article?.title) ?? pageTitle
  return title === undefined ? { text } : { title, text }
}

export async function* readHtml(chunks: AsyncIterable<Uint8Array>, ctx: ReadContext): AsyncGenerator<ReadItem> {
  const bytes = await readAll(chunks, MAX_WHOLE_FILE_BYTES)
  if (!bytes) {
    yield problem(ctx.where, 'oversize', `HTML file over ${formatBytes(MAX_WHOLE_FILE_BYTES)}; split it before importing`)
    return
  }
  const { title, text } = htmlToDocument(decodeHtml(bytes))
  yield textItem(ctx, text, title === undefined ? { format: 'html' } : { format: 'html', title })
}
