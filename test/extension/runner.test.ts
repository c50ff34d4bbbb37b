/**
 * Running pipeline jobs in child processes: events reach the board, credentials reach only the
 * child's environment, stopping one job of a process restarts the others, failures are reported.
 * A stand-in CLI (fake-cli.mjs) speaks the event contract, so no lake or broker is needed.
 */
import assert from 'node:assert/strict'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { cliErrorMessage, pipelineProblemsIn } from '../../src/extension/cli/problems'
import { runCliProcess } from '../../src/extension/cli/process'
import { PipelineBoard } from '../../src/extension/pipelines/board'
import type { JobId } from '../../src/extension/pipelines/events'
import { PipelineRunner, runArguments } from '../../src/extension/pipelines/runner'

const fakeCli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-cli.mjs')
const launch = () => ({ node: process.execPath, cli: fakeCli })

function harness(env: Record<string, string> = {}) {
  const board = new PipelineBoard()
  const logs: { level: string; event: string; fields: Record<string, unknown> }[] = []
  const exits: JobId[][] = []
  const runner = new PipelineRunner({
    launch,
    pipelineFile: path.join(tmpdir(), 'lakehouse.json'),
    graceMs: 5_000,
    environment: async () => env,
    onStarting: (jobs) => board.starting(jobs, Date.now()),
    onEvent: (event) => board.apply(event),
    onExit: (jobs, exit) => {
      exits.push(jobs)
      board.exited(jobs, exit, Date.now())
    },
    onLog: (level, event, fields) => logs.push({ level, event, fields }),
  })
  return { board, logs, exits, runner }
}

async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

test('the CLI is asked for exactly the jobs, with events', () => {
  assert.deepEqual(runArguments('/p/lakehouse.json', ['source:a', 'flow:f:x']), [
    'run',
    '--pipeline',
    '/p/lakehouse.json',
    '--source',
    'a',
    '--flow',
    'f:x',
    '--events',
  ])
})

test('a view is not asked for (every run refreshes the views), and it ends with the process that reported it', async () => {
  assert.deepEqual(runArguments('/p/lakehouse.json', ['flow:f', 'view:business.v']), ['run', '--pipeline', '/p/lakehouse.json', '--flow', 'f', '--events'])
  process.env.FAKE_CLI_MODE = 'views'
  try {
    const { board, exits, runner } = harness()
    await runner.start(['view:business.v'])
    assert.equal(runner.busy, false, 'a view alone starts nothing')
    await runner.start(['flow:f', 'view:business.v'])
    await until('the refresh', () => board.status('view:business.v')?.state === 'idle')
    assert.equal(board.status('view:business.v')?.lastRefresh?.expectations[0].failed, 1)
    await runner.stopAll()
    assert.deepEqual(exits.at(-1), ['flow:f', 'view:business.v'])
    assert.equal(board.status('view:business.v')?.state, 'stopped')
  } finally {
    delete process.env.FAKE_CLI_MODE
  }
})

test('jobs run in a child: events fill the board, stray lines are logged, stop is graceful', async () => {
  process.env.FAKE_CLI_SECRET_VAR = 'LAKEHOUSE_TEST_PW'
  try {
    const { board, logs, runner } = harness({ LAKEHOUSE_TEST_PW: 'canary-4f2a' })
    await runner.start(['source:a', 'flow:f'])
    await runner.start(['source:a'])
    assert.deepEqual([...runner.running()].sort(), ['flow:f', 'source:a'])
    await until('both batches', () => board.status('source:a')?.totals.batches === 1 && board.status('flow:f')?.totals.batches === 1)
    assert.equal(board.status('source:a')!.state, 'running')
    assert.equal(board.status('source:a')!.lag, 5)
    await until('the stray lines', () => logs.some((l) => l.event === 'pipeline.stdout' && String(l.fields.line).includes('mystery')))
    // The secret reached the child's environment and nothing of it reached our log.
    assert.ok(logs.some((l) => l.fields.line === 'LAKEHOUSE_TEST_PW is set'))
    assert.doesNotMatch(JSON.stringify(logs), /canary-4f2a/)
    assert.equal(logs.filter((l) => l.event === 'pipeline.start').length, 1)
    await runner.stopAll()
    assert.equal(board.status('source:a')!.state, 'stopped')
    assert.equal(board.status('flow:f')!.state, 'stopped')
    assert.equal(runner.busy, false)
  } finally {
    delete process.env.FAKE_CLI_SECRET_VAR
  }
})

test('stopping one job of a process starts the others again in a new one', async () => {
  const { board, logs, exits, runner } = harness()
  await runner.start(['source:a', 'source:b'])
  await until('running', () => board.status('source:b')?.state === 'running')
  await runner.stop(['source:a'])
  assert.deepEqual(exits, [['source:a', 'source:b']])
  assert.deepEqual([...runner.running()], ['source:b'])
  await until('b running again', () => board.status('source:b')?.state === 'running')
  assert.equal(board.status('source:a')!.state, 'stopped')
  const starts = logs.filter((l) => l.event === 'pipeline.start').map((l) => (l.fields.args as string[]).join(' '))
  assert.deepEqual(
    starts.map((s) => s.replace(/^run --pipeline \S+ /, '')),
    ['--source a --source b --events', '--source b --events'],
  )
  await runner.stopAll()
})

test('a failing or crashing child leaves failed jobs that say why', async () => {
  process.env.FAKE_CLI_MODE = 'fail'
  try {
    const { board, runner } = harness()
    await runner.start(['source:a', 'source:b'])
    await until('exit', () => !runner.busy)
    assert.equal(board.status('source:a')!.state, 'failed')
    assert.equal(board.status('source:a')!.error, 'broker down at $.kafka.brokers')
    assert.equal(board.status('source:b')!.error, 'the process exited with code 1')
    process.env.FAKE_CLI_MODE = 'crash'
    await runner.start(['source:a'])
    await until('exit', () => !runner.busy)
    assert.equal(board.status('source:a')!.error, 'lakehouse: the lake folder is not writable')
  } finally {
    delete process.env.FAKE_CLI_MODE
  }
})

test('a Node that cannot be started is a failed job, not an exception', async () => {
  const board = new PipelineBoard()
  const runner = new PipelineRunner({
    launch: () => ({ node: '/nonexistent/node', cli: fakeCli }),
    pipelineFile: path.join(tmpdir(), 'lakehouse.json'),
    graceMs: 1_000,
    environment: async () => ({}),
    onStarting: (jobs) => board.starting(jobs, 0),
    onEvent: (event) => board.apply(event),
    onExit: (jobs, exit) => board.exited(jobs, exit, 1),
    onLog: () => {},
  })
  await runner.start(['source:a'])
  await until('exit', () => !runner.busy)
  assert.match(board.status('source:a')!.error!, /could not start the pipeline process: spawn \/nonexistent\/node ENOENT/)
})

test('runCliProcess collects output and cancels with SIGTERM', async () => {
  const abort = new AbortController()
  const onStderrLine = (line: string) => line === 'fake-cli: ready' && abort.abort()
  const result = await runCliProcess(launch(), ['run', '--source', 'a'], { cwd: process.cwd(), signal: abort.signal, graceMs: 5_000, onStderrLine })
  assert.equal(result.cancelled, true)
  assert.match(result.stdout, /"state":"stopped"/)
  const crash = await runCliProcess(launch(), ['run'], { cwd: process.cwd(), env: { FAKE_CLI_MODE: 'crash' } })
  assert.equal(crash.code, 3)
  assert.equal(cliErrorMessage(crash.stderr), 'the lake folder is not writable')
})

test("every child gets the launch environment (DuckDB's memory limit from the settings)", async () => {
  const withLimit = { ...launch(), env: { LAKEHOUSE_DUCKDB_MEMORY_LIMIT: '512MB' } }
  const result = await runCliProcess(withLimit, ['run'], {
    cwd: process.cwd(),
    env: { FAKE_CLI_SECRET_VAR: 'LAKEHOUSE_DUCKDB_MEMORY_LIMIT', FAKE_CLI_MODE: 'crash' },
  })
  assert.match(result.stdout, /^LAKEHOUSE_DUCKDB_MEMORY_LIMIT is set$/m)
  const without = await runCliProcess(launch(), ['run'], {
    cwd: process.cwd(),
    env: { FAKE_CLI_SECRET_VAR: 'LAKEHOUSE_DUCKDB_MEMORY_LIMIT_UNSET', FAKE_CLI_MODE: 'crash' },
  })
  assert.match(without.stdout, /^LAKEHOUSE_DUCKDB_MEMORY_LIMIT_UNSET is not set$/m)
})

test("the CLI's pipeline problems are read back with file and JSON path", () => {
  const stderr =
    'lakehouse: the pipeline file has problems:\n  /w/lakehouse.json $.sources[0].format: must be equal to one of the allowed values: "json", "avro"\n  /w/my lake/x.json $: not valid JSON: Unexpected end\n'
  assert.deepEqual(pipelineProblemsIn(stderr), [
    { file: '/w/lakehouse.json', path: '$.sources[0].format', message: 'must be equal to one of the allowed values: "json", "avro"' },
    { file: '/w/my lake/x.json', path: '$', message: 'not valid JSON: Unexpected end' },
  ])
  assert.equal(cliErrorMessage(stderr), 'the pipeline file has problems:')
  assert.equal(cliErrorMessage('warning\nsomething broke\n'), 'something broke')
})

test('a job that ended can be started again while its process runs on for the others', async () => {
  process.env.FAKE_CLI_MODE = 'capture'
  try {
    const { board, logs, runner } = harness()
    await runner.start(['source:a', 'flow:f'])
    await until('the capture replayed', () => board.status('source:a')?.state === 'stopped' && board.status('flow:f')?.state === 'running')
    assert.deepEqual([...runner.running()], ['flow:f'])
    await runner.start(['source:a'])
    const starts = logs.filter((l) => l.event === 'pipeline.start').map((l) => (l.fields.args as string[]).slice(3).join(' '))
    assert.deepEqual(starts, ['--source a --flow f --events', '--source a --events'])
    await runner.stopAll()
  } finally {
    delete process.env.FAKE_CLI_MODE
  }
})
