/**
 * A real VS Code for the end-to-end tests: code-server (installed by scripts/install-code-server.sh
 * into .cache/code-server, never a project dependency) with fresh user-data, extensions, config and
 * XDG folders, so nothing is read from or written to the home folder. The extension under test is
 * installed from a .vsix packaged from the current build, as a user would install it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import * as path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const CODE_SERVER = process.env.LAKEHOUSE_CODE_SERVER || path.join(ROOT, '.cache/code-server/node_modules/.bin/code-server')
export const CHROMIUM = process.env.LAKEHOUSE_CHROMIUM || '/usr/bin/chromium'

/** Fails (does not skip) when the tools are missing: CI installs them, and so must a developer. */
export function requireTools(): void {
  const missing = [CODE_SERVER, CHROMIUM].filter((file) => !existsSync(file))
  if (missing.length) {
    throw new Error(
      `the VS Code end-to-end tests need ${missing.join(' and ')}: run \`bash scripts/install-code-server.sh\` (it installs code-server into .cache/code-server and Debian's chromium; CI runs it)`,
    )
  }
}

/**
 * Package the current build (dist/, which test/run.mjs has just built) into a .vsix, with the
 * project's own packaging script but without its production build, which would rewrite dist/
 * under the feet of other suites reading it at the same time.
 */
export function packageVsix(out: string): void {
  const script = path.join(ROOT, 'scripts/package-vsix.mjs')
  const result = spawnSync(process.execPath, [script, 'linux-x64', '--no-build', '--out', out], { cwd: ROOT, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`packaging failed:\n${result.stdout}\n${result.stderr}`)
}

/** The files in a .vsix (a zip), from `unzip -Z1`. */
export function vsixEntries(vsix: string): string[] {
  const result = spawnSync('unzip', ['-Z1', vsix], { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`unzip -Z1 ${vsix}: ${result.stderr}`)
  return result.stdout.split('\n').filter(Boolean)
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export interface CodeServer {
  url: string
  userDataDir: string
  /** Everything it printed, for a failure message. */
  output(): string
  stop(): Promise<void>
}

/** User settings that keep the workbench quiet: no welcome page, no trust prompt, no tips, no updates. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
}

function environment(home: string): NodeJS.ProcessEnv {
  const xdg = (name: string) => path.join(home, name)
  return { ...process.env, HOME: home, XDG_CONFIG_HOME: xdg('config'), XDG_DATA_HOME: xdg('data'), XDG_CACHE_HOME: xdg('cache'), XDG_STATE_HOME: xdg('state') }
}

/** Install the .vsix into a fresh extensions folder, then serve VS Code on a free port. */
export async function startCodeServer(home: string, vsix: string): Promise<CodeServer> {
  const userDataDir = path.join(home, 'user-data')
  const extensionsDir = path.join(home, 'extensions')
  const config = path.join(home, 'config.yaml')
  mkdirSync(path.join(userDataDir, 'User'), { recursive: true })
  mkdirSync(extensionsDir, { recursive: true })
  writeFileSync(config, 'auth: none\n')
  writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(QUIET_SETTINGS, null, 2))
  const env = environment(home)
  const common = [
    '--config',
    config,
    '--auth',
    'none',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
  ]
  const install = spawnSync(CODE_SERVER, [...common, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120_000 })
  if (install.status !== 0) throw new Error(`installing ${vsix} failed:\n${install.stdout}\n${install.stderr}`)

  const port = await freePort()
  const child: ChildProcess = spawn(
    CODE_SERVER,
    [...common, '--bind-addr', `127.0.0.1:${port}`, '--disable-workspace-trust', '--disable-getting-started-override'],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start within 60 s:\n${output}`)), 60_000)
    const onLine = (line: string) => {
      output += `${line}\n`
      if (/HTTP server listening/.test(line)) {
        clearTimeout(timer)
        resolve()
      }
    }
    createInterface({ input: child.stdout! }).on('line', onLine)
    createInterface({ input: child.stderr! }).on('line', onLine)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`code-server exited (${code}) before it was ready:\n${output}`))
    })
  })
  await ready
  return {
    url: `http://127.0.0.1:${port}`,
    userDataDir,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
        child.once('exit', () => {
          clearTimeout(killer)
          resolve()
        })
        child.kill('SIGTERM')
      }),
  }
}

/** Every regular file under a folder (for finding logs and checking that no secret was written anywhere). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    const stat = statSync(full, { throwIfNoEntry: false })
    if (!stat) return []
    // Sockets and pipes (code-server's IPC socket) cannot be read like files.
    return stat.isDirectory() ? filesUnder(full) : stat.isFile() ? [full] : []
  })
}
