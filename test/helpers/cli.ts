// Runs the built `cpt-studio` command as a user would.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import path from 'node:path'

export const BIN = path.resolve(__dirname, '../../bin/cpt-studio.js')

export function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    })
  })
}

/** Starts `cpt-studio serve` and resolves with its URL once it prints it. */
export function serve(workspace: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string; origin: string; token: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--workspace', workspace, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      try {
        const { url } = JSON.parse(out) as { url: string }
        const u = new URL(url)
        resolve({ child, url, origin: u.origin, token: u.searchParams.get('token')! })
      } catch {
        // not complete yet
      }
    })
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)))
  })
}
