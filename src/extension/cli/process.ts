/**
 * Running the bundled `lakehouse` CLI (dist/cli.mjs) as a child process: the extension's way of
 * keeping heavy and long work (pipelines, OPTIMIZE, VACUUM) off the extension host, where a crash
 * or a stuck native call would take every extension down with it. A child can always be stopped:
 * SIGTERM (the CLI finishes its open batch), then SIGKILL after a grace period.
 * No vscode import.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'

export interface CliLaunch {
  /** The Node executable. In desktop VS Code that is Electron, which acts as Node with ELECTRON_RUN_AS_NODE. */
  node: string
  /** Path of dist/cli.mjs. */
  cli: string
  /** Environment every child gets (settings that the CLI reads from the environment). */
  env?: Record<string, string>
  /** False in a workspace VS Code does not trust (Restricted Mode): see refuseInRestrictedMode. */
  trusted?: boolean
}

/** What the extension will not do in Restricted Mode, said to the user who asked for it. */
export class RestrictedModeError extends Error {
  constructor(what: string) {
    super(
      `${what} is not allowed in Restricted Mode: a pipeline runs what this workspace's pipeline file says (its SQL, transforms and files) in a child process. Trust the workspace first (command "Workspaces: Manage Workspace Trust").`,
    )
    this.name = 'RestrictedModeError'
  }
}

/**
 * Throws RestrictedModeError when the workspace is not trusted. Pipelines run code that the
 * workspace's files define, so an untrusted workspace cannot start them; reading tables and the
 * queries the user types stay available (package.json, capabilities.untrustedWorkspaces).
 */
export function refuseInRestrictedMode(launch: CliLaunch, what: string): void {
  if (launch.trusted === false) throw new RestrictedModeError(what)
}

/** The Node executable for children: the configured one, else the one running the extension host. */
export function defaultNode(configured: string | undefined): string {
  return configured?.trim() || process.execPath
}

export function spawnCli(launch: CliLaunch, args: string[], options: { cwd: string; env?: Record<string, string> }): ChildProcessWithoutNullStreams {
  const env: NodeJS.ProcessEnv = { ...process.env, ...launch.env, ...options.env }
  if (launch.node === process.execPath && process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1'
  return spawn(launch.node, [launch.cli, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true })
}

/** SIGTERM, then SIGKILL when it has not exited within `graceMs`. Resolves once it has exited. */
export function terminate(child: ChildProcessWithoutNullStreams, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** Stopped because the caller's signal aborted. */
  cancelled: boolean
}

export interface RunCliProcessOptions {
  cwd: string
  env?: Record<string, string>
  signal?: AbortSignal
  /** Each stderr line as it comes (progress, warnings). */
  onStderrLine?: (line: string) => void
  /** Grace period between SIGTERM and SIGKILL on cancel. Default 10 s. */
  graceMs?: number
  /** Keep at most this much stdout (a huge query result must not fill the extension host's memory). Default 4 MB. */
  maxStdout?: number
}

/** Run a CLI command to its end (or until cancelled) and collect its output. */
export function runCliProcess(launch: CliLaunch, args: string[], options: RunCliProcessOptions): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawnCli(launch, args, options)
    child.stdin.end()
    const maxStdout = options.maxStdout ?? 4 * 1024 * 1024
    let stdout = ''
    let stderr = ''
    let cancelled = false
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < maxStdout) stdout += chunk.slice(0, maxStdout - stdout.length)
    })
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (stderr.length < 256 * 1024) stderr += `${line}\n`
      options.onStderrLine?.(line)
    })
    const onAbort = () => {
      cancelled = true
      void terminate(child, options.graceMs ?? 10_000)
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    child.on('error', (error) => {
      stderr += `${error.message}\n`
    })
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort)
      resolve({ code, signal, stdout, stderr, cancelled })
    })
  })
}
