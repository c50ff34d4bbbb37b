/**
 * The host's side of a panel's message channel: every message from a panel is validated against
 * the shared protocol before any handler sees it. A malformed or unknown message is logged and
 * dropped (a panel is a web page: it must not be able to crash the extension host or reach the
 * engine with arguments nobody checked); a handler that fails answers the panel with an error.
 */
import { check, type Validator } from '../../../webview/shared/validate'

/** Where the panels report; `vscode.LogOutputChannel` fits, and so does a test's array. */
export interface PanelLog {
  info(message: string): void
  error(message: string): void
}

export interface ErrorMessage {
  type: 'error'
  message: string
  requestId?: number
}

export type Handlers<M extends { type: string }> = {
  [T in M['type']]: (message: Extract<M, { type: T }>) => Promise<void> | void
}

/** What a panel's glue (or a test harness) needs from a handler. */
export interface PanelHandler {
  /** A message as it came from the panel: not yet validated. */
  receive(message: unknown): Promise<void>
  /** The panel closed: release what the handler holds (query results, files). */
  dispose(): Promise<void>
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export function routeMessages<M extends { type: string }>(
  panel: string,
  validator: Validator<M>,
  handlers: Handlers<M>,
  post: (message: ErrorMessage) => void,
  log: PanelLog,
): (raw: unknown) => Promise<void> {
  return async (raw) => {
    const checked = check(validator, raw)
    if (!checked.ok) {
      log.error(`${panel} panel: rejected a message: ${checked.error}`)
      return
    }
    const message = checked.value
    const handler = handlers[message.type as M['type']] as (m: M) => Promise<void> | void
    try {
      await handler(message)
    } catch (error) {
      const requestId = (message as { requestId?: number }).requestId
      log.error(`${panel} panel: '${message.type}' failed: ${errorText(error)}`)
      post({ type: 'error', message: errorText(error), ...(requestId === undefined ? {} : { requestId }) })
    }
  }
}
