/**
 * The `lakehouse` command in a child process, as users run it, with ways to end it abruptly:
 * SIGKILL a while after start, a while after its first progress line, or the instant a temporary
 * commit or checkpoint file appears in a watched `_delta_log` (that is, while the commit or the
 * checkpoint is being written: no hook in the engine is needed to aim there).
 */
import { spawn } from 'node:child_process'
import { existsSync, watch, type FSWatcher } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lakehouse.mjs')

/** `.00000000000000000012.json.<uuid>.tmp`: a commit being written (put-if-absent). */
export const COMMIT_TEMP = /^\.\d{20}\.json\.[0-9a-f-]{36}\.tmp$/
/** `.00000000000000000012.checkpoint.parquet.<uuid>.tmp`: a checkpoint being written. */
export const CHECKPOINT_TEMP = /^\.\d{20}\.checkpoint\.parquet\.[0-9a-f-]{36}\.tmp$/

export type KillPlan =
  | { after: 'start'; ms: number }
  | { after: 'progress'; ms: number }
  /** Kill when the `skip`+1-th file matching `pattern` appears in one of `logDirs`. */
  | { after: 'file'; pattern: RegExp; logDirs: string[]; skip: number }

export interface CliOutcome {
  /** Killed by us (SIGKILL); otherwise it exited by itself. */
  killed: boolean
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Progress lines seen (a committed batch each). */
  progress: number
  /** For 'file' kills: the file whose appearance triggered the kill. */
  trigger?: string
  ms: number
}

/** A commit reported on stderr (ingest, refine, run): "… version 12 …". */
const PROGRESS = /version \d+/

export interface CliProcess {
  pid: number
  done: Promise<CliOutcome>
  /** Send a signal (SIGINT: finish the batch and stop). */
  signal(signal: NodeJS.Signals): void
}

export function startCli(args: string[], options: { cwd: string; kill?: KillPlan; env?: NodeJS.ProcessEnv }): CliProcess {
  const began = Date.now()
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env })
  let killed = false
  let stdout = ''
  let stderr = ''
  let progress = 0
  let trigger: string | undefined
  let timer: NodeJS.Timeout | undefined
  const watchers: FSWatcher[] = []
  const kill = () => {
    if (killed || child.exitCode !== null || child.signalCode !== null) return
    killed = true
    child.kill('SIGKILL')
  }
  const plan = options.kill
  if (plan?.after === 'start') timer = setTimeout(kill, plan.ms)
  if (plan?.after === 'file') {
    let seen = 0
    for (const dir of plan.logDirs.filter((d) => existsSync(d))) {
      watchers.push(
        watch(dir, (_event, name) => {
          if (!name || !plan.pattern.test(name)) return
          if (seen++ === plan.skip) {
            trigger = name
            kill()
          }
        }),
      )
    }
  }
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    const text = chunk.toString()
    stderr += text
    for (const line of text.split('\n')) {
      if (!PROGRESS.test(line)) continue
      progress++
      if (plan?.after === 'progress' && timer === undefined) timer = setTimeout(kill, plan.ms)
    }
  })
  const done = new Promise<CliOutcome>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      for (const w of watchers) w.close()
      resolve({ killed: killed && signal === 'SIGKILL', code, signal, stdout, stderr, progress, trigger, ms: Date.now() - began })
    })
  })
  return {
    pid: child.pid!,
    done,
    signal: (s) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(s)
    },
  }
}

export const runCli = (args: string[], options: { cwd: string; kill?: KillPlan }) => startCli(args, options).done

/** The outcome in one line, for logs and assertion messages. */
export function describeOutcome(o: CliOutcome): string {
  if (o.killed) return `killed after ${o.ms} ms, ${o.progress} commits${o.trigger ? ` (on ${o.trigger})` : ''}`
  return `exited ${o.code ?? o.signal} after ${o.ms} ms, ${o.progress} commits${o.code ? `: ${o.stderr.trim().split('\n').slice(-2).join(' | ')}` : ''}`
}
