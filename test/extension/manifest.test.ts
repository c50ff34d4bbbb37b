/**
 * package.json against the extension's sources: every contributed command is registered (by us or
 * the panels) and every registered one contributed, menus name real commands and views, and every
 * `lakehouse.*` setting the code reads is declared with a description. VS Code checks none of this:
 * a mismatch is a menu item that does nothing or a setting that is silently ignored.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'))
const contributes = manifest.contributes

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    return statSync(full).isDirectory() ? sources(full) : name.endsWith('.ts') ? [full] : []
  })
}
const code = sources(path.join(root, 'src/extension'))
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n')

test('contributed commands and registered commands are the same set', () => {
  const contributed = new Set<string>(contributes.commands.map((c: { command: string }) => c.command))
  // Ours are keys of COMMANDS or registerCommand('…') calls; the panels' are their PANEL_COMMANDS.
  const registered = new Set([...code.matchAll(/['"](lakehouse\.[A-Za-z]+)['"]\s*[:,]\s*(?:\[|\(|\))/g)].map((m) => m[1]))
  for (const id of code.matchAll(/registerCommand\('(lakehouse\.[A-Za-z]+)'/g)) registered.add(id[1])
  const panels = readFileSync(path.join(root, 'src/extension/panels/index.ts'), 'utf8')
  for (const id of panels.matchAll(/(?:\w+|'[\w-]+'): '(lakehouse\.[A-Za-z]+)'/g)) registered.add(id[1])
  const missing = [...contributed].filter((id) => !registered.has(id))
  const undeclared = [...registered].filter((id) => !contributed.has(id) && !/Panel$/.test(id))
  assert.deepEqual(missing, [], 'contributed but never registered')
  assert.deepEqual(undeclared, [], 'registered but not contributed')
  for (const c of contributes.commands) assert.equal(c.category, 'Lakehouse', c.command)
})

test('menus name contributed commands and our views', () => {
  const commands = new Set(contributes.commands.map((c: { command: string }) => c.command))
  const views = new Set(contributes.views.lakehouse.map((v: { id: string }) => v.id))
  for (const id of views) assert.match(code, new RegExp(`createTreeView\\('${id}'`), `${id} has a tree`)
  for (const [menu, items] of Object.entries(contributes.menus) as [string, { command: string; when?: string }[]][]) {
    for (const item of items) {
      assert.ok(commands.has(item.command), `${menu}: ${item.command}`)
      for (const view of item.when?.match(/view == (\w+)/g) ?? []) assert.ok(views.has(view.slice(8)), `${menu}: ${view}`)
      if (menu !== 'commandPalette' && /inline|navigation/.test((item as { group?: string }).group ?? '')) {
        assert.ok(contributes.commands.find((c: { command: string; icon?: string }) => c.command === item.command).icon, `${item.command} needs an icon`)
      }
    }
  }
})

test('every setting the code reads is declared, with a description', () => {
  const declared = contributes.configuration.properties as Record<string, { description?: string; markdownDescription?: string }>
  const read = new Set(
    [...code.matchAll(/setting<[^>]+>\('([\w.]+)'/g), ...code.matchAll(/getConfiguration\('lakehouse'\)\.get<[^>]+>\('([\w.]+)'/g)].map(
      (m) => `lakehouse.${m[1]}`,
    ),
  )
  for (const key of read) assert.ok(declared[key], `${key} is read but not declared`)
  for (const [key, value] of Object.entries(declared)) {
    assert.ok(value.description || value.markdownDescription, `${key} has no description`)
    assert.ok(read.has(key) || code.includes(`'${key.slice('lakehouse.'.length)}'`), `${key} is declared but never read`)
  }
})

test("activation is by workspace content and by the panels' webviews, and the pipeline schema stays attached", () => {
  assert.ok(manifest.activationEvents.includes('workspaceContains:**/lakehouse.json'))
  assert.ok(manifest.activationEvents.includes('workspaceContains:**/_delta_log/*.json'))
  const webviewTypes = readFileSync(path.join(root, 'src/extension/panels/webview-panel.ts'), 'utf8').match(/'lakehouse\.\w+Panel'/g) ?? []
  for (const type of webviewTypes) assert.ok(manifest.activationEvents.includes(`onWebviewPanel:${type.slice(1, -1)}`), type)
  assert.deepEqual(contributes.jsonValidation, [{ fileMatch: ['lakehouse.json', '*.lakehouse.json'], url: './schemas/pipeline.schema.json' }])
})

test('settings that name a program are machine settings, and Restricted Mode is declared', () => {
  const declared = contributes.configuration.properties as Record<string, { scope?: string; description?: string; markdownDescription?: string }>
  // A program the extension runs must not come from a workspace's settings (.vscode/settings.json).
  const programs = Object.entries(declared).filter(([, value]) => /executable|program/i.test(value.description ?? value.markdownDescription ?? ''))
  assert.deepEqual(
    programs.map(([key]) => key),
    ['lakehouse.nodePath'],
  )
  const untrusted = manifest.capabilities?.untrustedWorkspaces
  assert.ok(untrusted, 'capabilities.untrustedWorkspaces is declared')
  assert.equal(untrusted.supported, 'limited')
  assert.match(untrusted.description, /pipelines do not start/)
  for (const [key, value] of programs) {
    assert.equal(value.scope, 'machine', `${key} is machine-scoped`)
    assert.ok(untrusted.restrictedConfigurations.includes(key), `${key} is a restricted configuration`)
  }
  // The code refuses what the description says it refuses (src/extension/cli/process.ts).
  assert.match(code, /refuseInRestrictedMode\(this\.hooks\.launch\(\), 'Starting a pipeline'\)/)
  assert.match(code, /trusted: vscode\.workspace\.isTrusted/)
})
