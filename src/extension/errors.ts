/**
 * The extension's own errors: what it cannot do for the user right now, in words a notification
 * shows as they are. (Restricted Mode and missing credentials have theirs: RestrictedModeError in
 * cli/process.ts, MissingCredentialsError in pipelines/service.ts.)
 */
import { cliErrorMessage } from './cli/problems'

export class ExtensionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExtensionError'
  }
}

/** The `lakehouse` CLI, run in a child process, failed: its own message, else its exit code. */
export class CliRunError extends ExtensionError {
  constructor(outcome: { stderr: string; code: number | null }) {
    super(cliErrorMessage(outcome.stderr) ?? `exit code ${outcome.code}`)
    this.name = 'CliRunError'
  }
}
