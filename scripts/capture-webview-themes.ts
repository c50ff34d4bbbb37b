/**
 * Captures the CSS variables (and the body's theme class) VS Code gives a webview in each of the
 * four theme kinds, from a real code-server, into test/webview/themes/<theme>.json: the panel
 * tests render the panels with exactly what VS Code sets, not a hand-copied subset. Run after a
 * VS Code upgrade: `node esbuild.config.mjs && node --import tsx scripts/capture-webview-themes.ts`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { packageVsix, requireTools, ROOT, startCodeServer } from '../test/e2e/code-server'
import { webviewFrame } from '../test/e2e/contrast'
import { openFile, openWorkbench, pick, runCommand } from '../test/e2e/workbench'
import { buildWorkspace } from '../test/e2e/workspace'

export const THEMES = { 'dark-modern': 'Dark Modern', 'light-modern': 'Light Modern', 'dark-high-contrast': 'Dark High Contrast', 'light-high-contrast': 'Light High Contrast' } as const

const READ_VARIABLES = String.raw`(() => {
  const style = document.documentElement.style
  const variables = {}
  for (let i = 0; i < style.length; i++) {
    const name = style[i]
    if (name.startsWith('--vscode-')) variables[name] = style.getPropertyValue(name).trim()
  }
  return { bodyClass: document.body.className, variables }
})()`

requireTools()
const home = mkdtempSync(path.join(tmpdir(), 'lakehouse-themes-'))
try {
  const workspace = path.join(home, 'workspace')
  mkdirSync(workspace)
  await buildWorkspace(workspace)
  const vsix = path.join(home, 'extension.vsix')
  packageVsix(vsix)
  const server = await startCodeServer(path.join(home, 'code-server'), vsix)
  const workbench = await openWorkbench(server.url, workspace, path.join(home, 'chromium'))
  try {
    const page = workbench.page
    await openFile(page, 'orders.sql')
    await runCommand(page, 'Lakehouse: Run Query')
    let frame
    for (let i = 0; i < 300 && !frame; i++) {
      frame = await webviewFrame(page, '.grid-row').catch(() => undefined)
      if (!frame) await page.waitForTimeout(200)
    }
    if (!frame) throw new Error('the query panel did not show its result')
    const out = path.join(ROOT, 'test/webview/themes')
    mkdirSync(out, { recursive: true })
    for (const [file, title] of Object.entries(THEMES)) {
      await runCommand(page, 'Preferences: Color Theme')
      await pick(page, new RegExp(`^${title}$`))
      const kind = file.includes('high-contrast') ? (file.startsWith('light') ? 'vscode-high-contrast-light' : 'vscode-high-contrast') : file.startsWith('light') ? 'vscode-light' : 'vscode-dark'
      let captured: { bodyClass: string; variables: Record<string, string> } | undefined
      for (let i = 0; i < 100; i++) {
        captured = (await frame.evaluate(READ_VARIABLES)) as typeof captured
        if (captured!.bodyClass.split(/\s+/).includes(kind)) break
        await page.waitForTimeout(100)
      }
      writeFileSync(path.join(out, `${file}.json`), `${JSON.stringify({ theme: title, bodyClass: captured!.bodyClass, variables: captured!.variables }, null, 1)}\n`)
      console.log(`${title}: ${Object.keys(captured!.variables).length} variables, body class ${captured!.bodyClass}`)
    }
  } finally {
    await workbench.close().catch(() => undefined)
    await server.stop()
  }
} finally {
  rmSync(home, { recursive: true, force: true })
}
