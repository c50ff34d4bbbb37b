/**
 * The panel's side of the message channel: VS Code's webview API (`acquireVsCodeApi`, callable
 * once per page) wrapped so that every message in is validated before a panel sees it, and the
 * panel's saved state (kept by VS Code across hide/show and reloads) is typed.
 *
 * VS Code reloads a hidden panel's page when it is shown again, and the host takes a while to
 * answer (it reads the table again). So the last message of each type named in `replay` is kept
 * beside the panel's state and handed to the panel at once when its page loads again: the panel
 * is back as it was, and the host's fresh answer replaces it when it comes.
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
  /**
   * Calls `handler` with each valid message from the host; malformed ones are logged and dropped.
   * `replayed`: a kept message handed over as the page loads again, not a fresh answer.
   */
  listen(handler: (message: ToPanel, replayed: boolean) => void): void
  /** The state saved by the last `saveState`, if it still fits the state validator (an older panel may have saved another shape). */
  readonly savedState: State | undefined
  saveState(state: State): void
}

/** Where the replayed messages live in the state VS Code keeps (the panel never sees this key). */
const REPLAY_KEY = '__replay'
/** A message larger than this (as JSON text) is not kept for replay. */
const REPLAY_CHARS_MAX = 1_000_000

export function connectToHost<ToHost, ToPanel, State>(
  panel: string,
  toPanel: Validator<ToPanel>,
  stateValidator: Validator<State>,
  options: { replay?: string[] } = {},
): HostChannel<ToHost, ToPanel, State> {
  const api = acquireVsCodeApi()
  const stored = api.getState() ?? undefined
  const { [REPLAY_KEY]: keptMessages, ...ownState } = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>
  const saved = check(stateValidator, stored === undefined ? undefined : ownState, 'state')
  let state: unknown = saved.ok ? saved.value : undefined
  const replay: Record<string, unknown> =
    options.replay && typeof keptMessages === 'object' && keptMessages !== null ? { ...(keptMessages as Record<string, unknown>) } : {}
  const persist = () => api.setState(Object.keys(replay).length ? { ...(state as object | undefined), [REPLAY_KEY]: replay } : state)
  const deliver = (data: unknown, handler: (message: ToPanel, replayed: boolean) => void, replayed: boolean) => {
    const result = check(toPanel, data)
    if (!result.ok) {
      console.error(`${panel} panel: rejected ${replayed ? 'a kept message' : 'a message from the host'}: ${result.error}`)
      return
    }
    const type = (result.value as { type?: string }).type
    if (!replayed && type !== undefined && options.replay?.includes(type)) {
      if (JSON.stringify(data).length <= REPLAY_CHARS_MAX) replay[type] = data
      else delete replay[type]
      persist()
    }
    try {
      handler(result.value, replayed)
    } catch (error) {
      // One bad message must not leave the panel dead: report it and keep listening.
      console.error(`${panel} panel: failed to handle '${type}':`, error)
    }
  }
  return {
    post: (message) => api.postMessage(message),
    listen(handler) {
      for (const type of options.replay ?? []) if (replay[type] !== undefined) deliver(replay[type], handler, true)
      window.addEventListener('message', (event: MessageEvent) => deliver(event.data, handler, false))
    },
    savedState: saved.ok ? saved.value : undefined,
    saveState: (next) => {
      state = next
      persist()
    },
  }
}
