/**
 * Corrupt or hostile lakes: copies of a real table (written by the engine in a temp folder, with
 * checkpoints) damaged one way each, then read through the query layer and the CLI. Each is
 * refused with an error that names the file or table and the problem (or, where the damage
 * leaves the table intact, answered correctly): never a crash, never a wrong answer.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { LakeEngine } from '../../src/engine'
import { appendQuery } from '../../src/table'
import { ingestFile } from '../../src/pipeline/ingest-file'
import { checkPipeline, type Pipeline } from '../../src/pipeline/pipeline-file'
import { LakeCatalog, runQuery } from '../../src/query'
import { tempLake } from '../helpers/temp-lake'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const v = (n: number) => String(n).padStart(20, '0')
const ROWS = 50

describe('corrupt and hostile lakes', () => {
  const { dir, lakeDir, lake } = tempLake('hostile')
  const table = path.join(lakeDir, 'raw', 'orders')
  let copies = 0

  before(async () => {
    // Five commits, a checkpoint every two versions: 2 and 4, and _last_checkpoint naming 4.
    for (let i = 0; i < 5; i++) {
      await appendQuery(lake, table, `SELECT range AS id, 'v${i}' AS v FROM range(${i * 10}, ${i * 10 + 10})`, {
        create: { properties: { 'delta.checkpointInterval': '2', 'delta.enableChangeDataFeed': 'true' } },
      })
    }
    assert.deepEqual(
      readdirSync(path.join(table, '_delta_log')).filter((f) => f.includes('checkpoint')),
      [`${v(2)}.checkpoint.parquet`, `${v(4)}.checkpoint.parquet`, '_last_checkpoint'],
    )
  })

  /** A copy of the lake with raw.orders damaged by `damage` (given the table folder); an engine of its own. */
  function damaged(damage: (tablePath: string, log: (name: string) => string) => void) {
    const copy = path.join(dir, `copy-${++copies}`)
    cpSync(lakeDir, copy, { recursive: true })
    const tablePath = path.join(copy, 'raw', 'orders')
    damage(tablePath, (name) => path.join(tablePath, '_delta_log', name))
    const engine = new LakeEngine()
    const catalog = new LakeCatalog(copy, engine.io.storage)
    const run = async (sql: string) => {
      try {
        return (await runQuery(engine, catalog, sql)).rows
      } finally {
        await engine.close()
      }
    }
    return { copy, tablePath, engine, catalog, run }
  }
  const count = 'SELECT count(*) AS n, max(id) AS top FROM raw.orders'

  test('a truncated commit file is refused, naming the file and the JSON error', async () => {
    const { run, tablePath } = damaged((_, log) => {
      const f = log(`${v(4)}.json`)
      writeFileSync(f, readFileSync(f, 'utf8').slice(0, 150))
    })
    await assert.rejects(run(count), (e: Error) => {
      assert.ok(e.message.includes(path.join(tablePath, '_delta_log', `${v(4)}.json`)), e.message)
      assert.match(e.message, /is not valid JSON/)
      return true
    })
  })

  test('a missing data file is refused, naming it and the version that lists it', async () => {
    let gone = ''
    const { run } = damaged((t) => {
      gone = path.join(t, readdirSync(t).find((n) => n.endsWith('.parquet'))!)
      rmSync(gone)
    })
    await assert.rejects(run(count), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'MISSING_FILE')
      assert.ok(e.message.includes(`data file ${gone} is listed in version 4 of the log but is missing on disk`), e.message)
      return true
    })
  })

  test('a data file deleted after a query read the table (the engine keeps what it learnt of the files): the next query names it and the version that lists it', async () => {
    const { tablePath, engine, catalog } = damaged(() => {})
    try {
      assert.deepEqual((await runQuery(engine, catalog, count)).rows, [{ n: ROWS, top: ROWS - 1 }])
      const gone = path.join(tablePath, readdirSync(tablePath).find((n) => n.endsWith('.parquet'))!)
      rmSync(gone)
      await assert.rejects(runQuery(engine, catalog, count), (e: Error) => {
        assert.equal((e as { code?: string }).code, 'MISSING_FILE')
        assert.ok(e.message.includes(`data file ${gone} is listed in version 4 of the log but is missing on disk`), e.message)
        return true
      })
    } finally {
      await engine.close()
    }
  })

  test('_last_checkpoint naming a missing checkpoint: read from the commits (right answer); with the commits cleaned up, refused naming the checkpoint', async () => {
    assert.deepEqual(await damaged((_, log) => rmSync(log(`${v(4)}.checkpoint.parquet`))).run(count), [{ n: ROWS, top: ROWS - 1 }])
    const { run } = damaged((_, log) => {
      for (const f of [`${v(4)}.checkpoint.parquet`, `${v(2)}.checkpoint.parquet`, `${v(0)}.json`, `${v(1)}.json`, `${v(2)}.json`]) rmSync(log(f))
    })
    await assert.rejects(run(count), /_delta_log\/_last_checkpoint names checkpoint 4, but _delta_log\/00000000000000000004\.checkpoint\.parquet is missing/)
  })

  test('a multi-part checkpoint with a part missing is not used: the commits answer; without them, refused naming the missing part', async () => {
    const multipart = (_: string, log: (name: string) => string) => {
      renameSync(log(`${v(4)}.checkpoint.parquet`), log(`${v(4)}.checkpoint.0000000001.0000000002.parquet`))
      writeFileSync(log('_last_checkpoint'), JSON.stringify({ version: 4, size: 8, parts: 2 }))
    }
    assert.deepEqual(await damaged(multipart).run(count), [{ n: ROWS, top: ROWS - 1 }])
    const { run } = damaged((t, log) => {
      multipart(t, log)
      rmSync(log(`${v(2)}.checkpoint.parquet`))
      for (let i = 0; i <= 4; i++) rmSync(log(`${v(i)}.json`))
    })
    await assert.rejects(run(count), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'CORRUPT_LOG')
      assert.match(
        e.message,
        /checkpoint 4 is incomplete and was not used: part 2 of 2 \(_delta_log\/00000000000000000004\.checkpoint\.0000000002\.0000000002\.parquet\) is missing/,
      )
      return true
    })
  })

  test('a gap in the versions is refused, naming the missing commit, before and after the last checkpoint', async () => {
    const before = damaged((_, log) => {
      for (const f of [`${v(2)}.checkpoint.parquet`, `${v(4)}.checkpoint.parquet`, '_last_checkpoint', `${v(2)}.json`]) rmSync(log(f))
    })
    await assert.rejects(before.run(count), /the log is not contiguous: commit 00000000000000000002\.json is missing between versions 0 and 4/)
    // After the checkpoint: version 6 exists, 5 does not. Reading version 4 as the latest would be a wrong answer.
    const after = damaged((_, log) => writeFileSync(log(`${v(6)}.json`), readFileSync(log(`${v(4)}.json`))))
    await assert.rejects(after.run(count), /the log is not contiguous: commit 00000000000000000005\.json is missing between versions 5 and 6/)
    // Versions 5 and 6 missing, 7 there: still within the versions probed past the missing one.
    const wider = damaged((_, log) => writeFileSync(log(`${v(7)}.json`), readFileSync(log(`${v(4)}.json`))))
    await assert.rejects(wider.run(count), /the log is not contiguous: commit 00000000000000000005\.json is missing/)
  })

  test('unknown protocol versions and reader features are refused on read; an unknown writer feature reads but refuses writes', async () => {
    const protocol = (p: object) => damaged((_, log) => writeFileSync(log(`${v(5)}.json`), `${JSON.stringify({ protocol: p })}\n`))
    await assert.rejects(
      protocol({ minReaderVersion: 9, minWriterVersion: 9 }).run(count),
      /reader version 9 is not supported \(this reader supports 1 to 3\) \(table: .*raw\/orders\)/,
    )
    await assert.rejects(
      protocol({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['fancyFeature'], writerFeatures: ['fancyFeature'] }).run(count),
      /reader feature\(s\) 'fancyFeature'/,
    )
    const writerOnly = protocol({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['fancyWriter'] })
    assert.deepEqual(await writerOnly.run(count), [{ n: ROWS, top: ROWS - 1 }])
    const engine = new LakeEngine()
    try {
      await assert.rejects(appendQuery(engine, writerOnly.tablePath, "SELECT 99 AS id, 'x' AS v"), /fancyWriter/)
    } finally {
      await engine.close()
    }
    assert.ok(!readdirSync(path.join(writerOnly.tablePath, '_delta_log')).includes(`${v(6)}.json`), 'nothing was committed')
  })

  test('a log naming a file outside the table with ../ is refused; symbolic links out of the lake (table folder, data file) are refused', async () => {
    const climbing = damaged((_, log) =>
      writeFileSync(
        log(`${v(5)}.json`),
        `${JSON.stringify({ add: { path: '../../../../../../etc/passwd', size: 10, partitionValues: {}, modificationTime: 1, dataChange: true } })}\n`,
      ),
    )
    await assert.rejects(climbing.run(count), /file '\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd' named in the log climbs out of the table folder/)

    const outsideTable = path.join(dir, 'outside-table')
    const linkedTable = damaged((t) => {
      cpSync(t, outsideTable, { recursive: true })
      rmSync(t, { recursive: true })
      symlinkSync(outsideTable, t)
    })
    await assert.rejects(linkedTable.run(count), (e: Error) => {
      assert.ok(e.message.includes(`table 'raw.orders' (${linkedTable.tablePath}) is a symbolic link to ${outsideTable}, outside the lake`), e.message)
      return true
    })

    let linked = ''
    const linkedFile = damaged((t) => {
      linked = path.join(t, readdirSync(t).find((n) => n.endsWith('.parquet'))!)
      rmSync(linked)
      symlinkSync('/etc/passwd', linked)
    })
    await assert.rejects(linkedFile.run(count), (e: Error) => {
      assert.ok(e.message.includes(`data file ${linked} of version 4 is a symbolic link to /etc/passwd, outside the table folder: refused`), e.message)
      return true
    })
    // The change feed reads through the same check.
    const feed = damaged((t) => {
      const f = path.join(t, readdirSync(t).find((n) => n.endsWith('.parquet'))!)
      rmSync(f)
      symlinkSync('/etc/passwd', f)
    })
    await assert.rejects(feed.run(`SELECT count(*) FROM table_changes('raw.orders', 0)`), /is a symbolic link to \/etc\/passwd, outside the table folder/)

    // An ingest job refuses to write into a raw table whose folder links outside the lake.
    const ingestLake = damaged((t) => {
      rmSync(t, { recursive: true })
      mkdirSync(path.join(dir, 'elsewhere'))
      symlinkSync(path.join(dir, 'elsewhere'), t)
    })
    const capture = path.join(dir, 'capture.ndjson')
    writeFileSync(capture, '{"id": 1}\n')
    const pipeline: Pipeline = { file: path.join(ingestLake.copy, 'lakehouse.json'), lake: '.', lakeDir: ingestLake.copy, sources: [] }
    try {
      await assert.rejects(
        ingestFile(ingestLake.engine, ingestLake.catalog, pipeline, { name: 'orders', file: capture, format: 'json', table: 'raw.orders' }),
        /table 'raw\.orders' .* is a symbolic link to .*elsewhere, outside the lake/,
      )
    } finally {
      await ingestLake.engine.close()
    }
  })

  test('table names with .. or absolute paths: refused by the pipeline file check and by the query layer, naming the name', async () => {
    const problems = checkPipeline({
      lake: '.',
      sources: [
        { name: 'a', file: 'x.ndjson', format: 'json', table: 'raw/../../etc' },
        { name: 'b', file: 'x.ndjson', format: 'json', table: '/etc/passwd' },
      ],
      flows: [{ name: 'f', from: 'raw.a', to: '../x.y', mode: 'append' }],
    })
    assert.deepEqual(problems.map((p) => p.path).sort(), ['$.flows[0].to', '$.sources[0].table', '$.sources[1].table'])
    for (const p of problems) assert.match(p.message, /must match pattern/)

    const { run } = damaged(() => {})
    await assert.rejects(run('SELECT * FROM raw."../x"'), /'raw\.\.\.\/x' is not a table name: use zone\.table/)
    await assert.rejects(damaged(() => {}).run('SELECT * FROM raw."/etc/passwd"'), /'raw\.\/etc\/passwd' is not a table name/)
    await assert.rejects(damaged(() => {}).run('DESCRIBE HISTORY raw."../x"'), /is not a table name/)
    // delta.`path` reads a Delta table anywhere by design (README); a folder that is none is refused, named.
    const traversal = damaged(() => {})
    await assert.rejects(traversal.run('SELECT * FROM delta.`../../etc`'), (e: Error) => {
      assert.ok(e.message.includes(`(table: ${path.resolve(traversal.copy, '../../etc')})`), e.message)
      assert.match(e.message, /not a Delta table/)
      return true
    })
    await assert.rejects(damaged(() => {}).run(`SELECT * FROM table_changes('../../etc', 0)`), /not a Delta table/)
  })

  test('the CLI: each damage is one line naming the problem, exit code 1, no stack trace', () => {
    const truncated = damaged((_, log) => {
      const f = log(`${v(4)}.json`)
      writeFileSync(f, readFileSync(f, 'utf8').slice(0, 150))
    })
    const linked = damaged((t) => {
      const f = path.join(t, readdirSync(t).find((n) => n.endsWith('.parquet'))!)
      rmSync(f)
      symlinkSync('/etc/passwd', f)
    })
    const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin/lakehouse.mjs'), ...args], { encoding: 'utf8', cwd: root })
    const cases = [
      { args: ['query', '--lake', truncated.copy, count], expect: /00000000000000000004\.json: line 1 is not valid JSON/ },
      { args: ['history', '--lake', truncated.copy, 'raw.orders'], expect: /00000000000000000004\.json: line 1 is not valid JSON/ },
      { args: ['query', '--lake', linked.copy, count], expect: /is a symbolic link to \/etc\/passwd, outside the table folder/ },
      { args: ['query', '--lake', linked.copy, 'SELECT * FROM raw."../x"'], expect: /is not a table name/ },
    ]
    for (const c of cases) {
      const result = cli(...c.args)
      assert.equal(result.status, 1, `${c.args.join(' ')}: exit 1 (stderr: ${result.stderr})`)
      assert.match(result.stderr, c.expect, c.args.join(' '))
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
    }
  })
})
