/**
 * Restricted Mode: in a workspace VS Code does not trust, starting a pipeline is refused with a
 * message that says why, before any credential is read or any process started; once trusted, the
 * same runner starts it. A stand-in CLI (fake-cli.mjs) speaks the event contract.
 */
import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { RestrictedModeError, refuseInRestrictedMode } from '../../src/extension/cli/process'
import { PipelineBoard } from '../../src/extension/pipelines/board'
import { PipelineRunner } from '../../src/extension/pipelines/runner'

const fakeCli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-cli.mjs')

test('an untrusted workspace cannot start a pipeline; trusting it lets the same runner start', async () => {
  let trusted = false
  const calls: string[] = []
  const board = new PipelineBoard()
  const runner = new PipelineRunner({
    launch: () => ({ node: process.execPath, cli: fakeCli, trusted }),
    pipelineFile: path.join(tmpdir(), 'lakehouse.json'),
    graceMs: 5_000,
    environment: async () => {
      calls.push('environment')
      return {}
    },
    onStarting: () => calls.push('starting'),
    onEvent: (event) => board.apply(event),
    onExit: () => calls.push('exit'),
    onLog: (_level, event) => calls.push(event),
  })
  await assert.rejects(runner.start(['source:orders']), (error: unknown) => {
    assert.ok(error instanceof RestrictedModeError)
    assert.match(error.message, /^Starting a pipeline is not allowed in Restricted Mode: .*pipeline file.*Manage Workspace Trust/)
    return true
  })
  assert.equal(calls.join(', '), '', 'no credentials read, no process started')
  assert.equal(runner.busy, false)

  trusted = true
  await runner.start(['source:orders'])
  assert.ok(calls.includes('environment') && calls.includes('starting') && calls.includes('pipeline.start'))
  await runner.stopAll()
})

test('the guard lets a launch through unless it is marked untrusted (the CLI and tests set nothing)', () => {
  assert.doesNotThrow(() => refuseInRestrictedMode({ node: 'node', cli: 'cli.mjs' }, 'x'))
  assert.doesNotThrow(() => refuseInRestrictedMode({ node: 'node', cli: 'cli.mjs', trusted: true }, 'x'))
  assert.throws(
    () => refuseInRestrictedMode({ node: 'node', cli: 'cli.mjs', trusted: false }, 'Running OPTIMIZE'),
    /^RestrictedModeError: Running OPTIMIZE is not allowed in Restricted Mode/,
  )
})
