// LanceDB's compute pool gets one thread per CPU; on a 2-core machine its full-text index builder
// waits on itself forever (creating or optimising an index over ~10k documents never returns).
// Eight threads avoid the starvation. Imported before the first LanceDB call; the variable is read once.
import os from 'node:os'

process.env.LANCE_CPU_THREADS ??= String(Math.max(8, os.cpus().length))
