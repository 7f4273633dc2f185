// Mapping one JSON/Parquet record (Dolma, C4, RedPajama, FineWeb layouts) to a document: text field and metadata.
import type { ReadItem, SourceFormat } from '../types'
import { problem, textItem, type ReadContext } from './common'

const DEFAULT_TEXT_FIELDS = ['text', 'content', 'raw_content']

/** Keys that become first-class document fields instead of meta. */
const PROMOTED = new Set(['id', 'url', 'source', 'title'])
/** Dolma `metadata` and friends: keys where crawls keep the page address. */
const URL_KEYS = ['url', 'warc_url', 'WARC-Target-URI', 'target_uri', 'warc_target_uri']
/** Meta must stay small: a value whose JSON is longer is dropped (Dolma `attributes` spans can be huge). */
const MAX_META_VALUE_CHARS = 2048
const MAX_META_CHARS = 8192

export function textFieldCandidates(textField: string | undefined): string[] {
  return textField ? [textField] : DEFAULT_TEXT_FIELDS
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  return undefined
}

/** Prefers a value with a scheme (Dolma's metadata.url has none, metadata.warc_url does). */
function pickUrl(rec: Record<string, unknown>): string | undefined {
  const nested = isObject(rec.metadata) ? rec.metadata : {}
  const found = [...URL_KEYS.map((k) => rec[k]), ...URL_KEYS.map((k) => nested[k])]
    .map(str)
    .filter((v): v is string => v !== undefined)
  return found.find((v) => /^[a-z][a-z0-9+.-]*:\/\//i.test(v)) ?? found[0]
}

function smallMeta(rec: Record<string, unknown>, textKey: string): Record<string, unknown> | undefined {
  const meta: Record<string, unknown> = {}
  let total = 0
  for (const [key, value] of Object.entries(rec)) {
    if (key === textKey || PROMOTED.has(key) || value === undefined) continue
    let json: string | undefined
    try {
      json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))
    } catch {
      continue
    }
    if (json === undefined || json.length > MAX_META_VALUE_CHARS || total + json.length > MAX_META_CHARS) continue
    meta[key] = JSON.parse(json) as unknown
    total += json.length
  }
  return Object.keys(meta).length > 0 ? meta : undefined
}

/** One parsed record to a document, or to the problem explaining why it is not one. */
export function recordToItem(
  ctx: ReadContext,
  rec: unknown,
  format: SourceFormat,
  place: { line?: number; record?: number },
): ReadItem {
  if (!isObject(rec)) {
    const got = Array.isArray(rec) ? 'an array' : rec === null ? 'null' : `a ${typeof rec}`
    return problem(ctx.where, 'bad-record', `expected a JSON object per record, got ${got}`, place)
  }
  const candidates = textFieldCandidates(ctx.opts.textField)
  const key = candidates.find((k) => rec[k] !== undefined)
  if (key === undefined) {
    const keys = Object.keys(rec).slice(0, 20).join(', ') || '(none)'
    return problem(
      ctx.where,
      'bad-record',
      `no ${candidates.map((k) => `"${k}"`).join(' / ')} field; the record has: ${keys}. ` +
        'Name the text field with --text-field',
      place,
    )
  }
  const text = rec[key]
  if (text === null) return problem(ctx.where, 'empty', `field "${key}" is null; nothing to import`, place)
  if (typeof text !== 'string') {
    return problem(ctx.where, 'bad-record', `field "${key}" is ${Array.isArray(text) ? 'an array' : `a ${typeof text}`}, not text`, place)
  }
  const nested = isObject(rec.metadata) ? rec.metadata : {}
  const fields: Parameters<typeof textItem>[2] = { format }
  const title = str(rec.title) ?? str(nested.title)
  const url = pickUrl(rec)
  const sourceId = str(rec.id)
  const source = str(rec.source)
  const meta = smallMeta(rec, key)
  if (title !== undefined) fields.title = title
  if (url !== undefined) fields.url = url
  if (sourceId !== undefined) fields.sourceId = sourceId
  if (source !== undefined) fields.source = source
  if (meta !== undefined) fields.meta = meta
  return textItem(ctx, text, fields, place)
}
