// LanceDB's native settings, read once from the environment on first use: this module is imported before
// the first LanceDB call, and a value the user set wins.
//
// - Compute threads: with one thread per CPU, the full-text index builder waits on itself forever on a
//   2-core machine (creating or optimising an index over ~10k documents never returns). Eight avoid it.
// - Full-text index builds: by default one tokenizing worker per two compute threads, each buffering up to
//   2 GiB of postings before it writes a partition, and a 2 GiB read-ahead on the scan. With the eight threads
//   above, a 1M-document build held 2.6 GB; a worker per core (2 to 4) of 128 MiB and a 128 MiB read-ahead bound it
//   (measured in BENCHMARKS.md) at the same build time and query latency.
import os from 'node:os'

const cores = os.cpus().length
process.env.LANCE_CPU_THREADS ??= String(Math.max(8, cores))
process.env.LANCE_FTS_NUM_SHARDS ??= String(Math.min(4, Math.max(2, cores)))
process.env.LANCE_FTS_PARTITION_SIZE ??= '128'
process.env.LANCE_DEFAULT_IO_BUFFER_SIZE ??= String(128 << 20)
