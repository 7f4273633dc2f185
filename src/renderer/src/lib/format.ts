// Human-readable numbers for progress, sizes and times, and file names.
const UNITS = ['B', 'KB', 'MB', 'GB', 'TB']

export function formatBytes(n: number): string {
  let i = 0
  while (n >= 1024 && i < UNITS.length - 1) {
    n /= 1024
    i++
  }
  return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${UNITS[i]}`
}

export function formatCount(n: number, unit: string): string {
  if (unit === 'bytes') return formatBytes(n)
  return `${Math.round(n).toLocaleString('en-US')} ${unit}`
}

export function formatRate(rate: number | null, unit: string): string {
  if (rate === null) return ''
  return unit === 'bytes' ? `${formatBytes(rate)}/s` : `${rate < 10 ? rate.toFixed(1) : Math.round(rate).toLocaleString('en-US')} ${unit}/s`
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return ''
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
}

export function formatTime(iso: string | null): string {
  if (!iso) return ''
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

/** Percent done, 0-100; null when the total is unknown. An empty total counts as complete. */
export function percent(done: number, total: number | null): number | null {
  if (total === null) return null
  if (total <= 0) return 100
  return Math.min(100, (done / total) * 100)
}

const compactFmt = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })
const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })

/** 1,234 below ten thousand, 12.3K / 4.5M / 1.1B above. */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '–'
  return Math.abs(n) < 10_000 ? intFmt.format(n) : compactFmt.format(n)
}

/** A whole number with thousands separators. */
export function int(n: number): string {
  return Number.isFinite(n) ? intFmt.format(n) : '–'
}

/** The last segment of a file or folder path, for either separator. */
export function basename(p: string): string {
  const parts = p.split(/[\\/]/).filter(Boolean)
  return parts[parts.length - 1] ?? p
}
