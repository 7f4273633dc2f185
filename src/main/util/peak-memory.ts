// The process's peak resident memory, as the job logs and the benchmarks report it.
export function peakMemoryMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024)
}
