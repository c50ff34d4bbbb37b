/**
 * The `lakehouse` command installed as a release is: `npm pack` of this checkout, `npm install -g`
 * of the tarball into a fresh prefix, then the installed command run from a folder outside the
 * checkout, with the npm registry (or npm's cache) for the dependencies.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { LakeEngine } from '../../src/engine'
import { appendQuery } from '../../src/table'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const home = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-install-'))
after(() => rmSync(home, { recursive: true, force: true }))

function npm(args: string[], cwd: string) {
  // --ignore-scripts: the bundles were built by the test runner; prepack would rebuild them under
  // the feet of the other suites.
  const r = spawnSync('npm', [...args, '--ignore-scripts', '--no-audit', '--no-fund'], { cwd, encoding: 'utf8' })
  assert.equal(r.status, 0, `npm ${args.join(' ')}:\n${r.stderr}`)
  return r.stdout
}

test('npm pack, npm install -g: the installed lakehouse runs the bundle outside the checkout', async () => {
  const tarball = path.join(home, npm(['pack', root, '--pack-destination', home], home).trim().split('\n').pop()!)
  const prefix = path.join(home, 'prefix')
  npm(['install', '-g', '--prefix', prefix, '--prefer-offline', tarball], home)
  const installed = path.join(prefix, 'bin', 'lakehouse')
  // The package carries the bundle, not the sources: the command is the release, not this checkout.
  assert.ok(realpathSync(installed).startsWith(realpathSync(prefix)), realpathSync(installed))

  const project = path.join(home, 'project')
  const lake = new LakeEngine()
  await appendQuery(lake, path.join(project, 'lake', 'raw', 'orders'), 'SELECT i AS id FROM range(5) t(i)')
  await lake.close()
  writeFileSync(path.join(project, 'lakehouse.json'), JSON.stringify({ lake: 'lake', sources: [] }))

  const run = (...args: string[]) =>
    spawnSync(installed, args, { cwd: project, encoding: 'utf8', env: { ...process.env, PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` } })
  const help = run('--help')
  assert.equal(help.status, 0, help.stderr)
  assert.match(help.stdout, /^Local Lakehouse/)
  const query = run('query', '--format', 'csv', 'SELECT count(*) AS n FROM raw.orders')
  assert.equal(query.status, 0, query.stderr)
  assert.equal(query.stdout, 'n\r\n5\r\n')
})
