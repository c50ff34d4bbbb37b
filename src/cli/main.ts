/**
 * The `lakehouse` command. Subcommands share the engine with the VS Code extension; errors are
 * printed as one clear message (no stack trace) with exit code 1, wrong usage with exit code 2.
 */
import { DeltaError } from '../delta/errors'
import { CommandError, UsageError, type Out } from './args'
import { didYouMean } from '../pipeline/did-you-mean'
import { COMMAND_NAMES, USAGE, type CommandName } from './usage'

export { CommandError, UsageError } from './args'

type Command = (args: string[], out: Out) => Promise<number>

/**
 * Each command is loaded when it runs: `lakehouse --help` loads none of them, and `query` never
 * loads kafkajs (the bundle is split per command, see esbuild.config.mjs).
 */
const COMMANDS: Record<CommandName | 'completion', () => Promise<Command>> = {
  query: async () => (await import('./query-command')).queryCommand,
  tables: async () => (await import('./tables-command')).tablesCommand,
  history: async () => (await import('./history-command')).historyCommand,
  changes: async () => (await import('./changes-command')).changesCommand,
  optimize: async () => (await import('./optimize-command')).optimizeCommand,
  vacuum: async () => (await import('./vacuum-command')).vacuumCommand,
  ingest: async () => (await import('./ingest-command')).ingestCommand,
  sample: async () => (await import('./ingest-command')).sampleCommand,
  produce: async () => (await import('./produce-command')).produceCommand,
  'dead-letters': async () => (await import('./dead-letters-command')).deadLettersCommand,
  trace: async () => (await import('./trace-command')).traceCommand,
  refine: async () => (await import('./refine-command')).refineCommand,
  run: async () => (await import('./refine-command')).runCommand,
  refresh: async () => (await import('./refresh-command')).refreshCommand,
  graph: async () => (await import('./graph-command')).graphCommand,
  demo: async () => (await import('./demo-command')).demoCommand,
  'export-spark': async () => (await import('./export-command')).exportSparkCommand,
  completion: async () => (await import('./completion-command')).completionCommand,
}

export async function main(argv: string[], out: Out = (t) => process.stdout.write(t)): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    out(USAGE)
    return 0
  }
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command as keyof typeof COMMANDS] : undefined
  if (!load) throw new UsageError(`unknown command '${command}'.${didYouMean(command, COMMAND_NAMES)} Run 'lakehouse help' for the list.`)
  const dashDash = rest.indexOf('--')
  if (rest.slice(0, dashDash < 0 ? undefined : dashDash).some((a) => a === '--help' || a === '-h')) {
    out(USAGE)
    return 0
  }
  return (await load())(rest, out)
}

/** DuckDB's errors start with their kind: `Parser Error: …`, `Binder Error: …`, `IO Error: …`. */
const DUCKDB_ERROR = /^[A-Z][A-Za-z]*(?: [A-Za-z]+)* Error: /

/** An operating-system error from node (ENOENT, EACCES, …). */
const isSystemError = (error: Error) => typeof (error as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code!)

export async function runCli(argv: string[]): Promise<void> {
  try {
    process.exitCode = await main(argv)
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`lakehouse: ${error.message}\n`)
      process.exitCode = 2
    } else if (
      error instanceof CommandError ||
      error instanceof DeltaError ||
      (error instanceof Error && (DUCKDB_ERROR.test(error.message) || isSystemError(error)))
    ) {
      process.stderr.write(`lakehouse: ${error.message}\n`)
      process.exitCode = 1
    } else {
      // A bug: say so, with the stack trace, which is what a bug report needs.
      process.stderr.write(`lakehouse: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
      process.exitCode = 1
    }
  }
}
