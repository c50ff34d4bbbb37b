/**
 * Engine errors as notifications a user can act on: open the pipeline file at the JSON path of
 * the problem, set the missing password, or show the log (which has the details and the stack).
 * Every text goes through the log's redaction first. Nothing here throws: a notification that
 * fails must not turn into a second error.
 */
import * as vscode from 'vscode'
import type { PipelineProblem } from '../pipeline/pipeline-file'
import { firstLine } from './format'
import { locateJsonPath, offsetFromParseError } from './json-locate'
import type { Log } from './log'

const SHOW_LOG = 'Show Log'

/** Open a JSON file with the value at `jsonPath` selected (or the cursor where a parse error points). */
export async function openAtJsonPath(uri: vscode.Uri, jsonPath: string, parseError?: string): Promise<void> {
  const document = await vscode.workspace.openTextDocument(uri)
  const text = document.getText()
  let selection: vscode.Range | undefined
  const range = locateJsonPath(text, jsonPath)
  if (range && !(parseError && jsonPath === '$')) {
    const from = range.keyStart ?? range.start
    // Select a short value; for a whole object just put the cursor on its key.
    const to = range.end - from < 200 ? range.end : from
    selection = new vscode.Range(document.positionAt(from), document.positionAt(to))
  } else {
    const offset = parseError ? offsetFromParseError(text, parseError) : undefined
    if (offset !== undefined) selection = new vscode.Range(document.positionAt(offset), document.positionAt(offset))
  }
  await vscode.window.showTextDocument(document, { selection, preview: false })
}

/** A JSON path named in an error text (`$.sources[1].format: …`), if any. */
function jsonPathIn(text: string): string | undefined {
  return /(\$(?:\.[A-Za-z0-9_$-]+|\[\d+\])+)/.exec(text)?.[1]
}

export class Notifier {
  /** What was last shown per pipeline file, so an unchanged problem is not shown again on every refresh. */
  private readonly shownProblems = new Map<string, string>()

  constructor(private readonly log: Log) {}

  async pipelineProblems(uri: vscode.Uri, problems: PipelineProblem[]): Promise<void> {
    const key = problems.map((p) => `${p.path} ${p.message}`).join('\n')
    if (this.shownProblems.get(uri.toString()) === key) return
    this.shownProblems.set(uri.toString(), key)
    const [first] = problems
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''
    const openAt = `Open at ${first.path}`
    const message = this.log.redact(`${vscode.workspace.asRelativePath(uri)}: ${first.path}: ${firstLine(first.message)}${more}`)
    const choice = await vscode.window.showErrorMessage(message, openAt, SHOW_LOG)
    if (choice === openAt) await this.open(uri, first.path, first.message)
    else if (choice === SHOW_LOG) this.log.show()
  }

  /** The problems of a file that is fine now may be shown again when they come back. */
  forgetProblems(uri: vscode.Uri): void {
    this.shownProblems.delete(uri.toString())
  }

  async pipelineFailure(uri: vscode.Uri, job: string, error: string): Promise<void> {
    const path = jsonPathIn(error)
    const actions = [path ? `Open at ${path}` : 'Open Pipeline File', SHOW_LOG]
    const choice = await vscode.window.showErrorMessage(this.log.redact(`Pipeline job ${job} failed: ${firstLine(error)}`), ...actions)
    if (choice === actions[0]) await this.open(uri, path ?? '$')
    else if (choice === SHOW_LOG) this.log.show()
  }

  /**
   * An operation failed. `pipelineUri` lets the notification open the file an error points into;
   * the error's own kind decides the other action.
   */
  async error(what: string, error: unknown, context: { pipelineUri?: vscode.Uri } = {}): Promise<void> {
    this.log.error(`${what}.failed`, error)
    const e = error as { name?: string; message?: string; problems?: PipelineProblem[]; file?: string; jsonPath?: string; kind?: string }
    if (e?.name === 'PipelineFileError' && Array.isArray(e.problems) && e.file) {
      this.forgetProblems(vscode.Uri.file(e.file))
      return this.pipelineProblems(vscode.Uri.file(e.file), e.problems)
    }
    const message = this.log.redact(`${what}: ${firstLine(e?.message ?? String(error))}`)
    const actions: string[] = []
    const credentials = e?.name === 'MissingCredentialsError' || e?.name === 'KafkaCredentialsError'
    // The engine's KafkaCredentialsError names the registry's setting when the registry is what lacks one.
    const registry = e?.kind === 'schemaRegistry' || /schemaRegistry/.test(e?.message ?? '')
    const setPassword = registry ? 'Set Schema Registry Credentials' : 'Set Kafka Password'
    if (credentials) actions.push(setPassword)
    const path = e?.jsonPath ?? (e?.message ? jsonPathIn(e.message) : undefined)
    if (context.pipelineUri && path) actions.push(`Open at ${path}`)
    actions.push(SHOW_LOG)
    try {
      const choice = await vscode.window.showErrorMessage(message, ...actions)
      if (choice === SHOW_LOG) this.log.show()
      else if (choice === setPassword) {
        await vscode.commands.executeCommand(registry ? 'lakehouse.setSchemaRegistryCredentials' : 'lakehouse.setKafkaPassword', context.pipelineUri)
      } else if (choice?.startsWith('Open at ') && context.pipelineUri) await this.open(context.pipelineUri, path!)
    } catch (failure) {
      this.log.error('notify.failed', failure)
    }
  }

  private async open(uri: vscode.Uri, jsonPath: string, parseError?: string): Promise<void> {
    try {
      await openAtJsonPath(uri, jsonPath, parseError?.startsWith('not valid JSON') ? parseError : undefined)
    } catch (error) {
      this.log.error('open.failed', error, { file: uri.fsPath })
    }
  }
}
