/**
 * The `lakehouse` command as people use it every day, in real processes: it finds its lake the way
 * git finds its repository, ends quietly when a pipe closes, stops on Ctrl-C, fits the terminal,
 * prints Markdown, completes in bash, and loads no engine code for --help.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { LakeEngine } from '../../src/engine'
import { appendQuery } from '../../src/table'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const bin = path.join(root, 'bin/lakehouse.mjs')
const home = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-cli-everyday-'))
const project = path.join(home, 'project')
const lakeDir = path.join(project, 'data', 'lake')
after(() => rmSync(home, { recursive: true, force: true }))

function lakehouse(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const env = { ...process.env, ...options.env }
  delete env.LAKEHOUSE_LAKE
  if (options.env?.LAKEHOUSE_LAKE) env.LAKEHOUSE_LAKE = options.env.LAKEHOUSE_LAKE
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: options.cwd ?? home, env })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

before(async () => {
  const lake = new LakeEngine()
  // A long text column: the width tests need a cell wider than any terminal.
  await appendQuery(
    lake,
    path.join(lakeDir, 'raw', 'orders'),
    `SELECT i::BIGINT AS id, 'start-' || repeat('x', 200) || '-end' AS note, i * 1.5 AS total FROM range(2000) t(i)`,
  )
  await appendQuery(lake, path.join(home, 'other', 'raw', 'events'), `SELECT 1 AS n`)
  await lake.close()
  // The project's pipeline file names its lake relative to itself; commands run in a subfolder.
  writeFileSync(path.join(project, 'lakehouse.json'), JSON.stringify({ lake: 'data/lake', sources: [] }))
  mkdirSync(path.join(project, 'sql', 'reports'), { recursive: true })
})

test('the lake: --lake, else LAKEHOUSE_LAKE, else the nearest lakehouse.json, else the current folder', () => {
  const count = 'SELECT count(*) AS n FROM raw.orders'
  const fromSubfolder = lakehouse(['query', '--format', 'json', count], { cwd: path.join(project, 'sql', 'reports') })
  assert.equal(fromSubfolder.code, 0, fromSubfolder.stderr)
  assert.deepEqual(JSON.parse(fromSubfolder.stdout), [{ n: 2000 }])

  // LAKEHOUSE_LAKE wins over the pipeline file; --lake wins over both.
  const fromEnv = lakehouse(['query', count], { cwd: project, env: { LAKEHOUSE_LAKE: path.join(home, 'other') } })
  assert.equal(fromEnv.code, 1)
  assert.match(
    fromEnv.stderr,
    /^lakehouse: unknown table 'raw\.orders' in the lake .*other \(tables: raw\.events\)\. The lake is .*other \(LAKEHOUSE_LAKE\); pass --lake DIR to use another\n$/,
  )
  const fromOption = lakehouse(['query', '--lake', lakeDir, '--format', 'csv', count], { cwd: home, env: { LAKEHOUSE_LAKE: path.join(home, 'other') } })
  assert.equal(fromOption.stdout, 'n\r\n2000\r\n')

  // Nothing names a lake: the current folder, and the message says what to do.
  const nowhere = lakehouse(['query', count], { cwd: home })
  assert.equal(nowhere.code, 1)
  assert.match(
    nowhere.stderr,
    /The lake is the current folder .* \(no --lake, no LAKEHOUSE_LAKE, no lakehouse\.json here or above\); to use another, pass --lake DIR, set LAKEHOUSE_LAKE, or run it in the folder of a lakehouse\.json\n$/,
  )
  assert.doesNotMatch(nowhere.stderr, /\n\s+at /)
})

test('a closed pipe ends the command quietly with status 0; Ctrl-C stops a running query', async () => {
  const piped = spawnSync(
    'bash',
    ['-c', `set -o pipefail; "${process.execPath}" "${bin}" query --lake "${lakeDir}" --format csv "SELECT * FROM raw.orders, range(50)" | head -1`],
    { encoding: 'utf8' },
  )
  assert.equal(piped.status, 0, piped.stderr)
  assert.equal(piped.stdout, 'id,note,total,range\r\n')
  assert.equal(piped.stderr, '')

  const child = spawn(process.execPath, [bin, 'query', '--lake', lakeDir, 'SELECT sum(a.range * b.range) FROM range(1000000000) a, range(1000) b'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr += d
  })
  // Interrupt once the query is running, as a user would after seeing nothing for a while.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  child.kill('SIGINT')
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])))
  assert.ok(code === 130 || signal === 'SIGINT', `stopped by Ctrl-C (code ${code}, signal ${signal})`)
  assert.doesNotMatch(stderr, /\n\s+at /)
})

test('tables fit the terminal, eliding the middle of long cells; markdown; nothing is dropped', () => {
  const sql = 'SELECT id, note, total FROM raw.orders ORDER BY id LIMIT 3'
  const narrow = lakehouse(['query', '--lake', lakeDir, sql], { env: { COLUMNS: '60' } })
  assert.equal(narrow.code, 0, narrow.stderr)
  const lines = narrow.stdout.trimEnd().split('\n')
  for (const line of lines) assert.ok(line.length <= 60, `${line.length} > 60: ${line}`)
  // Every row and column is there; a long cell keeps its start and its end.
  assert.equal(lines.length, 2 + 3 + 1)
  assert.match(lines[0], /^id +\| note +\| total$/)
  assert.match(lines[2], /^0 +\| start-x+…x+-end \| 0\.0$/)

  // Piped to a file, nothing is elided.
  const wide = lakehouse(['query', '--lake', lakeDir, sql])
  assert.ok(wide.stdout.includes(`start-${'x'.repeat(200)}-end`))

  const markdown = lakehouse(['query', '--lake', lakeDir, '--format', 'markdown', "SELECT 1 AS n, 'a|b' AS s, NULL::VARCHAR AS z"])
  assert.equal(markdown.stdout, '| n | s | z |\n| ---: | --- | --- |\n| 1 | a\\|b | NULL |\n')
})

test('bash completes commands, options, --format values and table names from the lake', () => {
  const shims = mkdtempSync(path.join(home, 'bin-'))
  writeFileSync(path.join(shims, 'lakehouse'), `#!/bin/sh\nexec "${process.execPath}" "${bin}" "$@"\n`)
  chmodSync(path.join(shims, 'lakehouse'), 0o755)
  const script = lakehouse(['completion', 'bash']).stdout
  const complete = (line: string, cwd = project) => {
    const words = line.split(' ')
    const r = spawnSync(
      'bash',
      ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _lakehouse; printf '%s\\n' "\${COMPREPLY[@]}"`],
      {
        encoding: 'utf8',
        cwd,
        env: { ...process.env, PATH: `${shims}:${process.env.PATH}` },
      },
    )
    assert.equal(r.status, 0, r.stderr)
    return r.stdout.trim().split('\n').filter(Boolean)
  }
  assert.deepEqual(complete('lakehouse hi'), ['history'])
  assert.deepEqual(complete('lakehouse query --f'), ['--format', '--file'])
  assert.deepEqual(complete('lakehouse query --format m'), ['markdown'])
  assert.deepEqual(complete('lakehouse history raw.'), ['raw.orders'])
  assert.deepEqual(complete(`lakehouse history --lake ${path.join(home, 'other')} r`), ['raw.events'])
  for (const shell of ['zsh', 'fish']) assert.match(lakehouse(['completion', shell]).stdout, /lakehouse completion --complete/)
  assert.equal(lakehouse(['completion', 'tcsh']).code, 2)
})

test('--help and a mistyped command load no engine code: the bundle is split per command', () => {
  // What node loads to start: the entry and the chunks it imports statically, transitively (a
  // command's chunk is imported with import() only when it runs).
  const loaded = new Map<string, string>()
  const visit = (file: string) => {
    if (loaded.has(file)) return
    const text = readFileSync(file, 'utf8')
    loaded.set(file, text)
    for (const m of text.matchAll(/(?:from|^import) "(\.[^"]+)"/gm)) visit(path.resolve(path.dirname(file), m[1]))
  }
  visit(path.join(root, 'dist/cli.mjs'))
  const text = [...loaded.values()].join('\n')
  assert.ok(text.length < 100_000, `the start loads ${text.length} bytes`)
  for (const heavy of ['@duckdb/node-api', 'kafkajs', 'hyparquet']) assert.ok(!text.includes(heavy), `${heavy} is not loaded at start`)
  const help = lakehouse(['--help'])
  assert.equal(help.code, 0)
  assert.match(help.stdout, /^Local Lakehouse/)
})
