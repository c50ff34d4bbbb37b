/**
 * The panel's side of the message channel: VS Code's webview API (`acquireVsCodeApi`, callable
 * once per page) wrapped so that every message in is validated before a panel sees it, and the
 * panel's saved state (kept by VS Code across hide/show and reloads) is typed.
 */
import { check, type Validator } from './validate'

interface VsCodeApi {
  postMessage(message: unknown): void
  getState(): unknown
  setState(state: unknown): void
}

declare function acquireVsCodeApi(): VsCodeApi

export interface HostChannel<ToHost, ToPanel, State> {
  post(message: ToHost): void
  /** Calls `handler` with each valid message from the host; malformed ones are logged and dropped. */
  listen(handler: (message: ToPanel) => void): void
  /** The state saved by the last `saveState`, if it still fits the state validator (an older panel may have saved another shape). */
  readonly savedState: State | undefined
  saveState(state: State): void
}

export function connectToHost<ToHost, ToPanel, State>(
  panel: string,
  toPanel: Validator<ToPanel>,
  stateValidator: Validator<State>,
): HostChannel<ToHost, ToPanel, State> {
  const api = acquireVsCodeApi()
  const saved = check(stateValidator, api.getState() ?? undefined, 'state')
  return {
    post: (message) => api.postMessage(message),
    listen(handler) {
      window.addEventListener('message', (event: MessageEvent) => {
        const result = check(toPanel, event.data)
        if (!result.ok) {
          console.error(`${panel} panel: rejected a message from the host: ${result.error}`)
          return
        }
        try {
          handler(result.value)
        } catch (error) {
          // One bad message must not leave the panel dead: report it and keep listening.
          console.error(`${panel} panel: failed to handle '${(result.value as { type?: string }).type}':`, error)
        }
      })
    },
    savedState: saved.ok ? saved.value : undefined,
    saveState: (state) => api.setState(state),
  }
}
