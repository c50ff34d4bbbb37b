/**
 * scripts/conformance-summary.mjs: the README's conformance figures come from the counts the suites
 * wrote, and `--check` fails when the README's block says anything else.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { makeTempDir, removeTempDir } from '../helpers/delta-log'

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/conformance-summary.mjs')
const dir = makeTempDir('conformance-summary')
after(() => removeTempDir(dir))

const artifacts = path.join(dir, 'artifacts')
mkdirSync(artifacts)
const write = (suite: string, tally: object) =>
  writeFileSync(path.join(artifacts, `${suite}.json`), JSON.stringify({ suite, writtenAt: new Date().toISOString(), ...tally }))
write('reader', {
  passed: 20,
  failed: 0,
  passedByKind: { dat: 2, datSql: 2, golden: 5, goldenSql: 5, negative: 3, withoutExpectedRows: 2, hive: 1 },
  knownGaps: ['golden/x: a reason'],
  skipped: ['golden/y: not in the copy'],
})
write('tables', { tables: 10, loaded: 7, loadedRows: 1234, refused: 1, logOnly: 2, logOnlyNames: ['a/one', 'b/two'], refusedNames: ['c'] })
write('change-feed', { expectedRowsPassed: 4, errorCasesPassed: 3, failed: 0 })

function run(...args: string[]) {
  const result = spawnSync(process.execPath, [script, '--artifacts', artifacts, ...args], { encoding: 'utf8' })
  return { status: result.status, out: result.stdout, err: result.stderr }
}

test("the block says what each count covers, from the suites' counts", () => {
  const { status, out } = run()
  assert.equal(status, 0)
  assert.match(out, /\*\*37 passed, 0 failed, 1 known gaps \(run as todo\), 1 skipped\*\*/)
  assert.match(out, /2 DAT table versions and 5 delta-kernel-rs golden tables read and compared row for row/)
  assert.match(out, /7 of those same cases \(2 DAT, 5 golden\) read again through the SQL surface/)
  assert.match(
    out,
    /7 read, each with exactly the rows\n {2}its live files' Parquet footers hold less its deletion vectors \(1234 rows in all\); 2 log-only copies/,
  )
  assert.match(out, /`a\/one`, `b\/two`/)
  assert.match(out, /^- `golden\/x`: a reason$/m)
  assert.match(out, /^- `golden\/y`: not in the copy$/m)
})

test('--check passes on a README holding the block, fails on one that differs, and leaves one without the block alone', () => {
  const block = run().out.trimEnd()
  const readme = path.join(dir, 'README.md')
  writeFileSync(readme, `# Title\n\n## Conformance\n\n${block}\n\n## Next\n`)
  assert.equal(run('--check', '--readme', readme).status, 0)
  writeFileSync(readme, `# Title\n\n${block.replace('1234 rows', '1235 rows')}\n`)
  const stale = run('--check', '--readme', readme)
  assert.equal(stale.status, 1)
  assert.match(stale.err, /differ from what the suites counted/)
  assert.match(stale.err, /1234 rows in all/)
  writeFileSync(readme, '# Title\n\nno block\n')
  const none = run('--check', '--readme', readme)
  assert.equal(none.status, 0)
  assert.match(none.out, /no generated conformance block yet/)
})
