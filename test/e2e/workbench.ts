/**
 * Driving the VS Code workbench in headless Debian chromium (playwright-core; its own browser
 * downloads are unreachable here) the way a user does: the command palette, quick picks, the
 * Lakehouse views, notifications, and the panels' webviews (an iframe inside an iframe).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core'
import { CHROMIUM, ROOT } from './code-server'

export const ARTIFACTS = path.join(ROOT, '.test-artifacts', 'e2e')

export interface Workbench {
  page: Page
  context: BrowserContext
  close(): Promise<void>
}

export async function openWorkbench(url: string, folder: string, profileDir: string): Promise<Workbench> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1600, height: 1000 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })
  const page = context.pages()[0] ?? (await context.newPage())
  await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`)
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 })
  return { page, context, close: () => context.close() }
}

/** The steps whose screenshots the README shows: with UPDATE_SCREENSHOTS=1 they go to docs/screenshots too. */
const README_SHOTS = new Set(['kafka-ingest', 'pipeline-running', 'problem-diagnostic', 'topic-panel', 'sql-completion', 'grid-keyboard', 'query-tabs'])

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const shot = await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) }).catch(() => undefined)
  if (shot && process.env.UPDATE_SCREENSHOTS === '1' && README_SHOTS.has(name)) {
    const docs = path.join(ROOT, 'docs', 'screenshots')
    mkdirSync(docs, { recursive: true })
    writeFileSync(path.join(docs, `vscode-${name}.png`), shot)
  }
}

const quickInput = (page: Page) => page.locator('.quick-input-widget')

/** Run a command from the palette by its full title ("Lakehouse: Run Query"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  // The palette lists the commands whose `when` holds at the instant it opens (a command for .sql
  // editors is missing if the editor just opened is not active yet), so a palette without the
  // command is closed and opened again, as a user would.
  // The same holds when focus returns to a webview just after the palette opened (a panel the test
  // clicked a moment before): the palette closes, and a user would open it again.
  for (let attempt = 1; ; attempt++) {
    await closeQuickInput(page)
    await page.keyboard.press('Control+Shift+P')
    const input = quickInput(page).locator('input')
    // The row whose label is exactly the title (others may contain it).
    const row = quickInput(page)
      .locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${escape(title)}$`) }) })
      .first()
    const shown = await (async () => {
      await input.waitFor({ state: 'visible', timeout: 5_000 })
      await input.fill(`>${title}`, { timeout: 5_000 })
      await row.waitFor({ timeout: 5_000 })
    })().then(
      () => true,
      (error: unknown) => {
        if (attempt === 3) throw error
        return false
      },
    )
    if (shown) return row.click()
  }
}

/** Choose an item of the open quick pick by its label. */
export async function pick(page: Page, label: string | RegExp): Promise<void> {
  const row = quickInput(page)
    .locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) })
    .first()
  await row.waitFor({ timeout: 15_000 })
  await row.click()
}

/**
 * Run a command that asks with a quick pick, and choose `label` in it. The quick pick closes when
 * focus moves to another part of the window just after it opened (seen after a tree view
 * refreshed: once before its rows came, once between its rows showing and the click): a user would
 * run the command again, and so does this, at most three times in all.
 */
export async function runCommandAndPick(page: Page, title: string, label: string | RegExp): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, title)
    const row = quickInput(page)
      .locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) })
      .first()
    // False when the quick pick closed under the step (try again); the step's error when it is still open.
    const closed = async (error: unknown) => {
      if (attempt === 3 || (await quickInput(page).isVisible())) throw error
      return false
    }
    const shown = await row.waitFor({ timeout: 15_000 }).then(() => true, closed)
    if (shown && (await row.click({ timeout: 5_000 }).then(() => true, closed))) return
  }
}

/** Type into the open input box and accept. */
export async function answer(page: Page, text: string): Promise<void> {
  const input = quickInput(page).locator('input')
  await input.waitFor({ state: 'visible' })
  await input.fill(text)
  await input.press('Enter')
}

/**
 * Open a workspace file through Quick Open (Ctrl+P), as a user would. When its tab does not come
 * up (CI saw Quick Open choose the file and no editor open, once, right after a query panel had
 * focus), a user would open it again, and so does this, at most three times in all.
 */
export async function openFile(page: Page, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await closeQuickInput(page)
    await page.keyboard.press('Control+P')
    const input = quickInput(page).locator('input')
    await input.waitFor({ state: 'visible' })
    await input.fill(name)
    await pick(page, name)
    const opened = await page
      .locator('.tab.active', { hasText: name })
      .waitFor({ timeout: 10_000 })
      .then(
        () => true,
        (error: unknown) => {
          if (attempt === 3) throw error
          return false
        },
      )
    if (opened) return
  }
}

export async function closeQuickInput(page: Page): Promise<void> {
  if (await quickInput(page).isVisible()) await page.keyboard.press('Escape')
}

/** Open the Lakehouse view container from the activity bar. */
export async function openLakehouse(page: Page): Promise<void> {
  const item = page.locator('.activitybar [role="tab"][aria-label^="Lakehouse"], .activitybar .action-item a[aria-label^="Lakehouse"]').first()
  await item.waitFor({ timeout: 30_000 })
  if ((await item.getAttribute('aria-selected')) !== 'true' && !(await item.locator('xpath=..').getAttribute('class'))?.includes('checked')) await item.click()
  await page.locator('.pane-header', { hasText: 'Lake' }).first().waitFor()
}

/** The tree of one view of the container ("Kafka", "Lake", "Pipelines"). */
export function view(page: Page, name: string): Locator {
  const header = page.locator('.pane-header', { has: page.locator('h3.title', { hasText: new RegExp(`^${name}$`, 'i') }) })
  return page.locator('.pane', { has: header })
}

/** A row of a view's tree, by its text (label and description). */
export function treeRow(page: Page, viewName: string, text: string | RegExp): Locator {
  return view(page, viewName).locator('.monaco-list-row', { hasText: text }).first()
}

export function notification(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast, .notifications-center .notification-list-item', { hasText: text }).first()
}

/** The content of the active webview panel (VS Code nests it: iframe.webview → #active-frame). */
export function webview(page: Page): FrameLocator {
  // Hidden panels keep their pages (retainContextWhenHidden), so only a visible one is the active one.
  return page.locator('iframe.webview.ready:visible').last().contentFrame().frameLocator('#active-frame')
}

/*
 * Timing a panel from the browser's own clocks (performance.timeOrigin + now: one clock for the
 * workbench page and the panels' frames), without the test's round trips through the frames.
 * The page scripts are strings: the test's TypeScript transform would wrap named functions.
 */

/** From now on, the workbench page notes when the next mouse button goes down (VS Code acts on mousedown for tabs). */
export async function noteNextMouseDown(page: Page): Promise<void> {
  await page.evaluate(
    `document.addEventListener('mousedown', (event) => { window.__e2eMouseDown = performance.timeOrigin + event.timeStamp }, { once: true, capture: true })`,
  )
}

/** When the noted mouse button went down (ms since the epoch). */
export async function mouseDownAt(page: Page): Promise<number> {
  const at = await page.evaluate('window.__e2eMouseDown')
  if (typeof at !== 'number') throw new Error('no mouse button went down since noteNextMouseDown')
  return at
}

/** When the active panel's grid first drew rows with values (the grid's performance mark, FIRST_ROWS_MARK in webview/shared/virtual-grid.ts). */
export async function firstRowsAt(page: Page): Promise<number> {
  const at = await webview(page)
    .locator('body')
    .evaluate(`(() => { const mark = performance.getEntriesByName('lakehouse:first-rows')[0]; return mark && performance.timeOrigin + mark.startTime })()`)
  if (typeof at !== 'number') throw new Error('the panel drew no rows')
  return at
}

/**
 * Marks the visible panel's frame. Once the panel is hidden, `armed` makes the next mousedown start
 * checking, at every frame of the workbench, whether that frame is shown again; `shownAt` answers when it was.
 */
export async function watchPanelShown(page: Page): Promise<{ armed(): Promise<void>; shownAt(): Promise<number> }> {
  await page
    .locator('iframe.webview.ready:visible')
    .last()
    .evaluate((frame) => frame.setAttribute('data-e2e-watched', ''))
  const arm = `document.addEventListener('mousedown', () => {
    const frame = document.querySelector('iframe[data-e2e-watched]')
    const check = () => {
      if (frame.checkVisibility({ visibilityProperty: true }) && frame.getBoundingClientRect().width > 0) window.__e2eShown = performance.timeOrigin + performance.now()
      else requestAnimationFrame(check)
    }
    requestAnimationFrame(check)
  }, { once: true, capture: true })`
  return {
    async armed() {
      await page.evaluate(arm)
    },
    async shownAt() {
      const at = await page.evaluate('window.__e2eShown')
      if (typeof at !== 'number') throw new Error('the watched panel was not shown again')
      return at
    },
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
