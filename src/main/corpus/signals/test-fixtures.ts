// Test helpers: real documents from the shared test data (Dolma English web text, LibreOffice Chinese help pages).
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The shared test data sits beside the checkout (../shared/data from the repository root). */
const DATA_DIR = fileURLToPath(new URL('../../../../../shared/data/', import.meta.url))
const DOLMA_DIR = join(DATA_DIR, 'corpus/dolma/multiple_files')
const ZH_HELP_DIR = join(DATA_DIR, 'pages/zh/libreoffice-help-zh-cn/libreoffice/help/zh-CN/text/scalc/01')

export const HAVE_DOLMA = existsSync(DOLMA_DIR)
export const HAVE_ZH_HELP = existsSync(ZH_HELP_DIR)
if (!HAVE_DOLMA) console.warn(`[signals tests] skipping tests on real English web text: ${DOLMA_DIR} is absent`)
if (!HAVE_ZH_HELP) console.warn(`[signals tests] skipping tests on real Chinese pages: ${ZH_HELP_DIR} is absent`)

/** The `text` of every record of the Dolma JSONL samples (20 Common Crawl English documents). */
export function dolmaTexts(): string[] {
  return readdirSync(DOLMA_DIR)
    .filter((name) => name.endsWith('.jsonl'))
    .sort()
    .flatMap((name) => readFileSync(join(DOLMA_DIR, name), 'utf8').split('\n'))
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as { text: string }).text)
}

/** Quick HTML-to-text for the help pages: the content area, block elements as line breaks, tags dropped. */
export function htmlToText(html: string): string {
  const start = html.indexOf('id="DisplayArea"')
  return html
    .slice(start === -1 ? 0 : start)
    .replace(/<(script|style|noscript)[\s\S]*?<\/\1>/gi, '')
    .replace(/<\/?(p|h\d|li|div|br|tr|td|table|pre)\b[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{2,}/g, '\n')
    .replace(/^[\s\S]*?\n(?=\S)/, '')
    .trim()
}

/** Text of the LibreOffice Calc help pages (Chinese), largest first. */
export function chineseHelpTexts(): string[] {
  return readdirSync(ZH_HELP_DIR)
    .filter((name) => name.endsWith('.html'))
    .map((name) => htmlToText(readFileSync(join(ZH_HELP_DIR, name), 'utf8')))
    .sort((a, b) => b.length - a.length)
}
