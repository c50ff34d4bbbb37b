/**
 * Runs a panel in real headless Chromium against the real host handler in this process.
 *
 * What is substituted: VS Code's webview API. The page is the one the extension gives VS Code
 * (panelHtml, with the same Content-Security-Policy and a fresh nonce), served from a local HTTP
 * origin that plays `webview.cspSource`; `acquireVsCodeApi()` is provided by an init script and
 * relays `postMessage` to the handler (src/extension/panels/*-handler.ts) over a Playwright
 * binding, and the handler's messages come back as `window.postMessage`, as VS Code delivers them.
 * Everything behind the handler is real: LakeEngine, DuckDB, Delta tables on disk. The panels
 * inside a real VS Code are covered by the code-server end-to-end tests (test/e2e).
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import * as path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { PanelHandler } from '../../src/extension/panels/message-router'
import { newNonce, panelHtml } from '../../src/extension/panels/panel-html'
import type { PanelKind } from '../../webview/shared/protocol'
import { DARK_THEME } from './theme'

const ROOT = path.resolve(import.meta.dirname, '..', '..')
const BUNDLES = path.join(ROOT, 'dist', 'webview')

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
}

/** Serves dist/webview and one page per panel kind, built by the extension's own panelHtml. */
export class PanelServer {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<PanelServer> {
    if (!existsSync(BUNDLES)) throw new Error(`no panel bundles in ${BUNDLES}: build them first (node esbuild.config.mjs, which test/run.mjs does)`)
    let origin = ''
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', origin)
      const page = /^\/panel\/(query|history|changes|topic|graph|dead-letters)$/.exec(url.pathname)
      if (page) {
        const kind = page[1] as PanelKind
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        response.end(
          panelHtml({
            kind,
            title: `${kind} panel`,
            cspSource: origin,
            script: readFileSync(path.join(BUNDLES, `${kind}.js`), 'utf8'),
            style: readFileSync(path.join(BUNDLES, `${kind}.css`), 'utf8'),
            nonce: newNonce(),
          }),
        )
        return
      }
      const file = /^\/webview\/([a-z-]+\.(?:js|css))$/.exec(url.pathname)
      if (file && existsSync(path.join(BUNDLES, file[1]))) {
        response.writeHead(200, { 'content-type': file[1].endsWith('.js') ? 'text/javascript' : 'text/css' })
        response.end(readFileSync(path.join(BUNDLES, file[1])))
        return
      }
      // favicon.ico and the like: nothing, without a console error for a 404.
      response.writeHead(url.pathname === '/favicon.ico' ? 204 : 404).end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return new PanelServer(server, origin)
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

export interface OpenPanel {
  page: Page
  /** Every message the panel sent, as sent (before validation). */
  toHost: unknown[]
  /** Every message the handler sent. */
  toPanel: unknown[]
  /** The state the panel saved last (what VS Code would keep). */
  state(): unknown
  /** Console errors and uncaught exceptions in the page. */
  consoleErrors: string[]
  /** Sends a message to the panel as the host would (for malformed-message tests). */
  postToPanel(message: unknown): Promise<void>
  /** Reloads the page as VS Code does when a hidden panel is shown again: same handler, saved state kept. */
  reload(): Promise<void>
  /** Holds the page's messages to the host (a busy host) until the returned function is called. */
  holdHost(): () => void
  /** Resolves once the host has no message in hand and everything it sent has been delivered. */
  hostIdle(): Promise<void>
  close(): Promise<void>
}

export interface OpenOptions {
  /** The state VS Code would hand the page (a panel restored after a reload). */
  state?: unknown
  viewport?: { width: number; height: number }
}

/**
 * Opens the panel `kind` in a new page of `browser`; `makeHandler` builds the host side with the
 * `post` that delivers to this page. Resolves once the panel has said `ready`.
 */
export async function openPanel(
  browser: Browser,
  server: PanelServer,
  kind: PanelKind,
  makeHandler: (post: (message: unknown) => void) => PanelHandler,
  options: OpenOptions = {},
): Promise<OpenPanel> {
  const page = await browser.newPage({ viewport: options.viewport ?? { width: 1200, height: 760 } })
  const toHost: unknown[] = []
  const toPanel: unknown[] = []
  const consoleErrors: string[] = []
  let savedState = options.state
  let delivery = Promise.resolve()
  let readyCount = 0
  let onReady: (() => void) | undefined
  let held: Promise<void> | undefined
  let inHand = 0

  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text())
  })
  page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`))

  const deliver = (message: unknown) => {
    toPanel.push(message)
    // One at a time and in order, as VS Code delivers them; a closed page just drops them.
    delivery = delivery.then(() => page.evaluate((m) => window.postMessage(m, '*'), message)).catch(() => undefined)
  }
  const handler = makeHandler(deliver)

  await page.exposeBinding('__lakehouseToHost', async (_source, message: unknown) => {
    toHost.push(message)
    if ((message as { type?: unknown })?.type === 'ready') {
      readyCount++
      onReady?.()
    }
    await held
    inHand++
    try {
      await handler.receive(message)
    } finally {
      inHand--
    }
  })
  await page.exposeBinding('__lakehouseSaveState', (_source, state: unknown) => {
    savedState = state
  })
  await page.addInitScript(fakeVsCodeApi(DARK_THEME, options.state))

  const load = async () => {
    const wanted = readyCount + 1
    const readyNow = new Promise<void>((resolve) => {
      onReady = () => readyCount >= wanted && resolve()
    })
    await page.goto(`${server.origin}/panel/${kind}`)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the ${kind} panel never said ready; page errors: ${consoleErrors.join(' | ') || 'none'}`)), 20_000)
    })
    await Promise.race([readyNow, timeout]).finally(() => clearTimeout(timer))
  }
  await load()

  return {
    page,
    toHost,
    toPanel,
    state: () => savedState,
    consoleErrors,
    postToPanel: async (message) => {
      await delivery
      await page.evaluate((m) => window.postMessage(m, '*'), message)
    },
    reload: load,
    async hostIdle() {
      for (let polls = 0; inHand > 0 && polls < 500; polls++) await new Promise((resolve) => setTimeout(resolve, 10))
      await delivery
    },
    holdHost() {
      let release!: () => void
      held = new Promise<void>((resolve) => (release = resolve))
      return () => {
        held = undefined
        release()
      }
    },
    async close() {
      await page.close()
      await handler.dispose()
    },
  }
}

/**
 * The page's side of the substitute for VS Code's webview host, as script text (a function would
 * be serialised with the helpers tsx adds to it, which do not exist in the page).
 */
function fakeVsCodeApi(theme: Record<string, string>, initialState: unknown): string {
  return `(() => {
  // VS Code sets its theme as CSS variables on <html> and a class on <body>.
  const theme = ${JSON.stringify(theme)};
  const applyTheme = () => {
    for (const [name, value] of Object.entries(theme)) document.documentElement.style.setProperty(name, value);
  };
  // The script runs before <html> exists: wait for it.
  new MutationObserver((_, observer) => {
    if (!document.documentElement) return;
    applyTheme();
    observer.disconnect();
  }).observe(document, { childList: true });
  document.addEventListener('DOMContentLoaded', () => document.body.classList.add('vscode-dark'));
  // tsx names the functions the tests pass to page.evaluate with a helper the page lacks.
  globalThis.__name = (target) => target;
  // VS Code keeps a panel's state across the page reloads of hide/show; sessionStorage does here.
  const KEY = '__lakehouse_state';
  const kept = sessionStorage.getItem(KEY);
  let state = kept === null ? ${JSON.stringify(initialState ?? null)} ?? undefined : JSON.parse(kept);
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi can only be invoked once');
    acquired = true;
    return {
      // Like VS Code, messages are copied (structured clone) on their way out.
      postMessage: (message) => void window.__lakehouseToHost(structuredClone(message)),
      getState: () => state,
      setState: (next) => {
        state = next;
        sessionStorage.setItem(KEY, JSON.stringify(next));
        void window.__lakehouseSaveState(next);
      },
    };
  };
})();`
}

/** Where screenshots go: docs/screenshots with UPDATE_SCREENSHOTS=1 (the README shows them), else .test-artifacts/webview. */
export function screenshotPath(name: string): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'screenshots') : path.join(ROOT, '.test-artifacts', 'webview')
  mkdirSync(dir, { recursive: true })
  return path.join(dir, `${name}.png`)
}

/** A log for the handler that the test can read. */
export function hostLog() {
  const log = {
    infos: [] as string[],
    errors: [] as string[],
    info: (message: string) => void log.infos.push(message),
    error: (message: string) => void log.errors.push(message),
  }
  return log
}

/**
 * Milliseconds from the page's navigation until `selector` is in the DOM: printed by the tests as
 * `# first paint`, never judged (the machine's load decides it).
 */
/**
 * When a panel first painted, in ms since its navigation: `paint` is Chromium's first contentful
 * paint (the panel's own controls, before any data), `rows` the moment `selector` (its first data
 * rows, which wait for the host's engine) is on screen. Printed by the tests, never judged.
 */
export async function firstPaint(page: Page, selector: string): Promise<{ paint: number; rows: number }> {
  await page.waitForSelector(selector)
  const rows = Math.round(await page.evaluate(() => performance.now()))
  const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN)
  return { paint: Math.round(paint), rows }
}

/** The line each panel test prints: `# first paint <panel>: 120 ms (first rows 310 ms)`. */
export async function reportFirstPaint(panelName: string, page: Page, selector: string): Promise<void> {
  const { paint, rows } = await firstPaint(page, selector)
  console.log(`# first paint ${panelName}: ${paint} ms (first rows ${rows} ms after navigation)`)
}

/** Resolves once `condition` holds (checked every 20 ms); the test's own timeout bounds the wait. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20))
}

/** Closes what a panel test opened (in the reverse order), then removes `removeDir`. */
export async function closePanelTest(parts: {
  panel?: OpenPanel
  browser?: Browser
  server?: PanelServer
  others?: { close(): Promise<unknown> }[]
  removeDir?: string
}): Promise<void> {
  // Each step is bounded: a close that never answers (seen now and then on a loaded machine's
  // Chromium) must not hold the test file open; the steps after it still run.
  const bounded = async (what: string, work: Promise<unknown> | undefined) => {
    let timer: NodeJS.Timeout | undefined
    const guard = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        process.stderr.write(`closePanelTest: ${what} did not finish within 20 s; going on\n`)
        resolve()
      }, 20_000)
    })
    try {
      await Promise.race([work, guard])
    } finally {
      clearTimeout(timer)
    }
  }
  await bounded('closing the panel', parts.panel?.close())
  await bounded('closing the browser', parts.browser?.close())
  await bounded('closing the panel server', parts.server?.close())
  for (const other of parts.others ?? []) await bounded('closing the engine', other.close())
  if (parts.removeDir) rmSync(parts.removeDir, { recursive: true, force: true })
  // Everything is closed and every result reported: a handle a library still holds (Chromium's
  // pipes were seen to, now and then) must not keep this file's process, and so the whole run,
  // waiting forever. The timer does not itself keep the process alive (unref).
  setTimeout(() => process.exit(), 10_000).unref()
}
