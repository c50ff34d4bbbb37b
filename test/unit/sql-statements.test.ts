/**
 * The statement splitter and the parser of Spark's writing statements: positions, every form the
 * lake runs, the embedded expressions handed to DuckDB as text, and what is refused by name.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseScript, StatementError } from '../../src/query/run-script'
import type { Statement } from '../../src/query/statements/ast'
import { splitStatements } from '../../src/query/statements/split'
import { sparkType } from '../../src/query/statements/spark-types'

const parse = (sql: string): Statement => parseScript(sql)[0].statement

function refused(sql: string, message: RegExp, position?: string) {
  assert.throws(
    () => parseScript(sql),
    (error: unknown) => {
      assert.ok(error instanceof StatementError, String(error))
      assert.match(error.message, message)
      if (position) assert.equal(error.position, position)
      return true
    },
    sql,
  )
}

test('statements split at semicolons outside strings, quoted names and comments, with their positions', () => {
  const text = 'SELECT \';\' AS a; -- one; two\nSELECT "x;y" FROM t /* ; */;\n\n  UPDATE z.t SET `a;b` = 1;;'
  const parts = splitStatements(text)
  assert.deepEqual(
    parts.map((p) => p.text),
    ["SELECT ';' AS a", 'SELECT "x;y" FROM t', 'UPDATE z.t SET `a;b` = 1'],
  )
  assert.deepEqual(
    parseScript(text).map((s) => s.position),
    ['1:1', '2:1', '4:3'],
  )
})

test('an unclosed string or comment is an error at its line:column', () => {
  refused("SELECT 1;\nSELECT 'oops", /string is never closed .*\(at 2:8\)/, '2:8')
  refused('SELECT 1 /* no end', /comment is never closed/)
  refused('   ', /no statement/)
})

test('INSERT: VALUES, queries, BY NAME, column lists, OVERWRITE, REPLACE WHERE, TABLE', () => {
  assert.deepEqual(parse("INSERT INTO raw.t VALUES (1, 'a')"), {
    kind: 'insert',
    table: { kind: 'name', name: 'raw.t', offset: 12 },
    overwrite: false,
    byName: false,
    columns: undefined,
    replaceWhere: undefined,
    source: { kind: 'query', query: { sql: "VALUES (1, 'a')", text: "VALUES (1, 'a')", offset: 18 } },
  })
  const byName = parse('INSERT INTO TABLE raw.t BY NAME SELECT 1 AS `id`') as Extract<Statement, { kind: 'insert' }>
  assert.equal(byName.byName, true)
  assert.equal(byName.source.kind === 'query' && byName.source.query.sql, 'SELECT 1 AS "id"', "backtick names become DuckDB's double quotes")
  const listed = parse('INSERT INTO raw.t (b, a) SELECT * FROM x.y') as Extract<Statement, { kind: 'insert' }>
  assert.deepEqual(listed.columns, ['b', 'a'])
  const subquery = parse('INSERT INTO raw.t (SELECT 1)') as Extract<Statement, { kind: 'insert' }>
  assert.equal(subquery.columns, undefined, 'a parenthesised query is not a column list')
  const overwrite = parse('INSERT OVERWRITE TABLE delta.`/data/t` SELECT 1') as Extract<Statement, { kind: 'insert' }>
  assert.deepEqual([overwrite.overwrite, overwrite.table.kind, overwrite.table.name], [true, 'path', '/data/t'])
  const replace = parse("INSERT INTO raw.t REPLACE WHERE day >= '2026-01-01' AND (x IN (SELECT 1)) SELECT * FROM s.u") as Extract<Statement, { kind: 'insert' }>
  assert.equal(replace.replaceWhere?.sql, "day >= '2026-01-01' AND (x IN (SELECT 1))")
  const table = parse('INSERT INTO raw.t TABLE raw.u@v3') as Extract<Statement, { kind: 'insert' }>
  assert.deepEqual(table.source, { kind: 'table', table: { kind: 'name', name: 'raw.u', offset: 24, version: 3 } })
  refused('INSERT INTO raw.t PARTITION (p = 1) SELECT 1', /PARTITION \(…\) is not supported/)
  refused('INSERT INTO t VALUES (1)', /'t' is not a table name: name tables zone.table/)
  refused('INSERT INTO raw.t@v2 VALUES (1)', /cannot name an older version/)
  refused('INSERT OR REPLACE INTO raw.t VALUES (1)', /expected INTO, found 'OR'/)
})

test('UPDATE and DELETE: alias, assignments up to the next comma at depth 0, WHERE', () => {
  assert.deepEqual(parse('UPDATE raw.t AS x SET a = coalesce(b, 1), c = CASE WHEN d, e THEN 1 END WHERE x.id = 3'), {
    kind: 'update',
    table: { kind: 'name', name: 'raw.t', offset: 7 },
    alias: 'x',
    set: [
      { column: 'a', value: { sql: 'coalesce(b, 1)', text: 'coalesce(b, 1)', offset: 26 } },
      { column: 'c', value: { sql: 'CASE WHEN d, e THEN 1 END', text: 'CASE WHEN d, e THEN 1 END', offset: 46 } },
    ],
    where: { sql: 'x.id = 3', text: 'x.id = 3', offset: 78 },
  })
  const plain = parse('DELETE FROM raw.orders') as Extract<Statement, { kind: 'delete' }>
  assert.deepEqual([plain.alias, plain.where], ['orders', undefined], 'the table name is the default alias')
  assert.equal((parse('DELETE FROM raw.orders o WHERE o.id IN (SELECT id FROM raw.gone)') as Extract<Statement, { kind: 'delete' }>).alias, 'o')
  refused('UPDATE raw.t SET a = 1 WHERE', /expected a condition/)
  refused('UPDATE raw.t SET WHERE a = 1', /expected =, found 'a' \(at 1:24\)/)
})

test('MERGE: every clause form, BY TARGET / BY SOURCE, conditions, WITH SCHEMA EVOLUTION, source column names', () => {
  const merge = parse(`MERGE WITH SCHEMA EVOLUTION INTO gold.t AS t USING (SELECT * FROM raw.s) s ON t.id = s.id AND s.x > 0
    WHEN MATCHED AND s.op = 'd' THEN DELETE
    WHEN MATCHED AND s.op = 'u' THEN UPDATE SET *
    WHEN MATCHED THEN UPDATE SET t.v = s.v, w = s.w + 1
    WHEN NOT MATCHED BY TARGET AND s.op <> 'd' THEN INSERT *
    WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, coalesce(s.v, 'none'))
    WHEN NOT MATCHED BY SOURCE AND t.old THEN DELETE
    WHEN NOT MATCHED BY SOURCE THEN UPDATE SET flag = true`) as Extract<Statement, { kind: 'merge' }>
  assert.equal(merge.schemaEvolution, true)
  assert.deepEqual([merge.targetAlias, merge.sourceAlias, merge.on.sql], ['t', 's', 't.id = s.id AND s.x > 0'])
  assert.deepEqual(
    merge.clauses.map((c) => [c.when, c.action, c.condition?.sql]),
    [
      ['matched', 'delete', "s.op = 'd'"],
      ['matched', 'update', "s.op = 'u'"],
      ['matched', 'update', undefined],
      ['notMatched', 'insert', "s.op <> 'd'"],
      ['notMatched', 'insert', undefined],
      ['notMatchedBySource', 'delete', 't.old'],
      ['notMatchedBySource', 'update', undefined],
    ],
  )
  const third = merge.clauses[2] as { set: { column: string; value: { sql: string } }[] }
  assert.deepEqual(
    third.set.map((a) => [a.column, a.value.sql]),
    [
      ['t.v', 's.v'],
      ['w', 's.w + 1'],
    ],
  )
  const insert = merge.clauses[4] as { columns: string[]; values: { sql: string }[] }
  assert.deepEqual(
    [insert.columns, insert.values.map((v) => v.sql)],
    [
      ['id', 'v'],
      ['s.id', "coalesce(s.v, 'none')"],
    ],
  )
  const named = parse('MERGE INTO a.t USING (VALUES (1, 2)) AS s(id, v) ON t.id = s.id WHEN MATCHED THEN DELETE') as Extract<Statement, { kind: 'merge' }>
  assert.equal(named.source.kind === 'query' && named.source.query.sql, 'SELECT * FROM (VALUES (1, 2)\n) AS __merge_source("id", "v")')
  const tables = parse('MERGE INTO hr.people USING hr.updates ON people.id = updates.id WHEN MATCHED THEN DELETE') as Extract<Statement, { kind: 'merge' }>
  assert.deepEqual([tables.targetAlias, tables.sourceAlias], ['people', 'updates'])
  refused('MERGE INTO a.t USING (SELECT 1) ON 1 = 1 WHEN MATCHED THEN DELETE', /needs an alias/)
  refused('MERGE INTO a.t t USING a.s t ON 1 = 1 WHEN MATCHED THEN DELETE', /both called 't'/)
  refused('MERGE INTO a.t t USING a.s s ON t.id = s.id', /expected WHEN MATCHED/)
  refused('MERGE INTO a.t t USING a.s s ON t.id = s.id WHEN NOT MATCHED THEN INSERT (a, b) VALUES (1)', /names 2 columns but gives 1 values/)
  refused('MERGE INTO a.t t USING a.s s ON t.id = s.id WHEN NOT MATCHED BY SOURCE THEN UPDATE SET *', /expected a column name/)
})

test('CREATE TABLE: columns with NOT NULL, COMMENT and nested types, PARTITIONED BY, TBLPROPERTIES, AS SELECT, LIKE', () => {
  const create = parse(`CREATE TABLE IF NOT EXISTS gold.t (
      id BIGINT NOT NULL COMMENT 'the id', tags ARRAY<STRING>, attrs MAP<STRING, STRUCT<a: INT, b: DECIMAL(10, 2)>>, gen INT GENERATED ALWAYS AS (id * 2)
    ) USING DELTA PARTITIONED BY (id) COMMENT 'table' TBLPROPERTIES ('delta.enableChangeDataFeed' = true, delta.appendOnly = 'false', n = 3)`) as Extract<
    Statement,
    { kind: 'createTable' }
  >
  assert.equal(create.ifNotExists, true)
  assert.deepEqual(
    create.columns?.map((c) => [c.name, c.type, c.notNull, c.comment, c.generatedAs?.sql]),
    [
      ['id', 'BIGINT', true, 'the id', undefined],
      ['tags', 'ARRAY<STRING>', false, undefined, undefined],
      ['attrs', 'MAP<STRING,STRUCT<a:INT,b:DECIMAL(10,2)>>', false, undefined, undefined],
      ['gen', 'INT', false, undefined, 'id * 2'],
    ],
  )
  assert.deepEqual(
    [create.partitionedBy, create.comment, create.properties],
    [['id'], 'table', { 'delta.enableChangeDataFeed': 'true', 'delta.appendOnly': 'false', n: '3' }],
  )
  const ctas = parse('CREATE OR REPLACE TABLE gold.t PARTITIONED BY (d) AS SELECT * FROM raw.x') as Extract<Statement, { kind: 'createTable' }>
  assert.deepEqual([ctas.orReplace, ctas.asSelect?.sql, ctas.partitionedBy], [true, 'SELECT * FROM raw.x', ['d']])
  const like = parse('CREATE TABLE gold.u LIKE gold.t') as Extract<Statement, { kind: 'createTable' }>
  assert.equal(like.like?.name, 'gold.t')
  refused('CREATE TABLE gold.t', /expected \(columns\), AS SELECT …, LIKE or SHALLOW CLONE/)
  assert.equal((parse('CREATE TABLE dev.t SHALLOW CLONE prod.t@v2') as Extract<Statement, { kind: 'createTable' }>).shallowCloneOf?.version, 2)
  refused('CREATE TABLE dev.t DEEP CLONE prod.t', /only SHALLOW CLONE is supported/)
  refused("CREATE TABLE gold.t (a INT) LOCATION '/x'", /LOCATION is not supported/)
  refused('CREATE TABLE gold.t (a INT) USING parquet', /USING parquet: the lake's tables are Delta tables/)
  refused('CREATE OR REPLACE TABLE IF NOT EXISTS gold.t (a INT)', /exclude each other/)
})

test('Spark types become Delta types', () => {
  assert.equal(sparkType('STRING'), 'string')
  assert.equal(sparkType('decimal(10, 2)'), 'decimal(10,2)')
  assert.equal(sparkType('DECIMAL'), 'decimal(10,0)')
  assert.deepEqual(sparkType('ARRAY<STRUCT<a: INT NOT NULL, `b c`: TIMESTAMP_NTZ>>'), {
    type: 'array',
    containsNull: true,
    elementType: {
      type: 'struct',
      fields: [
        { name: 'a', type: 'integer', nullable: false, metadata: {} },
        { name: 'b c', type: 'timestamp_ntz', nullable: true, metadata: {} },
      ],
    },
  })
  assert.throws(() => sparkType('DECIMAL(40, 2)'), /precision must be 1 to 38/)
  assert.throws(() => sparkType('INTERVAL'), /not a type Delta tables store/)
})

test('ALTER TABLE forms, DROP TABLE, OPTIMIZE, VACUUM, RESTORE, SHOW and DESCRIBE', () => {
  const kinds = (sql: string) => parse(sql).kind
  assert.equal(kinds("ALTER TABLE a.t ADD COLUMNS (x INT COMMENT 'c', y STRING)"), 'addColumns')
  assert.equal(kinds('ALTER TABLE a.t ADD COLUMN x INT'), 'addColumns')
  assert.deepEqual(parse("ALTER TABLE a.t SET TBLPROPERTIES ('k' = 'v')"), {
    kind: 'setProperties',
    table: { kind: 'name', name: 'a.t', offset: 12 },
    properties: { k: 'v' },
  })
  assert.deepEqual((parse("ALTER TABLE a.t UNSET TBLPROPERTIES IF EXISTS ('k', delta.x)") as { keys: string[] }).keys, ['k', 'delta.x'])
  assert.deepEqual(parse("ALTER TABLE a.t ALTER COLUMN x COMMENT 'hi'"), {
    kind: 'alterColumn',
    table: { kind: 'name', name: 'a.t', offset: 12 },
    column: 'x',
    comment: 'hi',
  })
  assert.equal((parse('ALTER TABLE a.t CHANGE COLUMN x DROP NOT NULL') as { dropNotNull?: boolean }).dropNotNull, true)
  assert.deepEqual(parse('ALTER TABLE a.t RENAME COLUMN x TO y'), {
    kind: 'renameColumn',
    table: { kind: 'name', name: 'a.t', offset: 12 },
    from: 'x',
    to: 'y',
  })
  assert.deepEqual((parse('ALTER TABLE a.t DROP COLUMNS IF EXISTS (x, y)') as { columns: string[] }).columns, ['x', 'y'])
  const check = parse('ALTER TABLE a.t ADD CONSTRAINT pos CHECK (`amount` > 0 AND f(x, y))') as Extract<Statement, { kind: 'addConstraint' }>
  assert.deepEqual([check.name, check.check.sql, check.check.text], ['pos', '"amount" > 0 AND f(x, y)', '`amount` > 0 AND f(x, y)'])
  assert.equal(kinds('ALTER TABLE a.t DROP CONSTRAINT IF EXISTS pos'), 'dropConstraint')
  assert.deepEqual(parse('DROP TABLE IF EXISTS a.t'), { kind: 'dropTable', table: { kind: 'name', name: 'a.t', offset: 21 }, ifExists: true })
  const optimize = parse("OPTIMIZE a.t WHERE day >= '2026-01-01' ZORDER BY (x, y)") as Extract<Statement, { kind: 'optimize' }>
  assert.deepEqual([optimize.where?.sql, optimize.zorderBy], ["day >= '2026-01-01'", ['x', 'y']])
  assert.deepEqual(parse('VACUUM a.t RETAIN 0.5 HOURS DRY RUN'), {
    kind: 'vacuum',
    table: { kind: 'name', name: 'a.t', offset: 7 },
    retainHours: 0.5,
    dryRun: true,
  })
  assert.deepEqual(parse('RESTORE TABLE a.t TO VERSION AS OF 3'), { kind: 'restore', table: { kind: 'name', name: 'a.t', offset: 14 }, version: 3 })
  assert.deepEqual(parse("RESTORE a.t TIMESTAMP AS OF '2026-01-01 00:00:00'"), {
    kind: 'restore',
    table: { kind: 'name', name: 'a.t', offset: 8 },
    timestamp: Date.UTC(2026, 0, 1),
  })
  assert.deepEqual(parse("SHOW TABLES IN raw LIKE 'ord*|cust*'"), { kind: 'showTables', zone: 'raw', like: 'ord*|cust*' })
  assert.equal(kinds('SHOW TBLPROPERTIES a.t'), 'showProperties')
  assert.equal(kinds('SHOW COLUMNS IN a.t'), 'showColumns')
  assert.equal(kinds('SHOW CREATE TABLE a.t@v2'), 'showCreateTable')
  assert.deepEqual((parse('SHOW CREATE TABLE a.t@20260101120000000') as { table: { timestamp: number } }).table.timestamp, Date.UTC(2026, 0, 1, 12))
  assert.deepEqual(parse('DESCRIBE TABLE EXTENDED a.t'), { kind: 'describeTable', table: { kind: 'name', name: 'a.t', offset: 24 }, extended: true })
  assert.equal(kinds('DESCRIBE HISTORY a.t'), 'query', 'DESCRIBE HISTORY stays with the query layer')
  assert.equal(kinds('DESCRIBE SELECT 1'), 'query')
  refused('VACUUM a.t RETAIN HOURS', /expected a number of hours/)
  refused('SHOW CREATE TABLE a.t@x1', /'@x1' is not a version/)
})

test('reading statements pass through; anything else that writes is refused by name', () => {
  for (const sql of [
    'SELECT 1',
    'WITH a AS (SELECT 1) SELECT * FROM a',
    'FROM raw.t',
    'VALUES (1)',
    '(SELECT 1)',
    'EXPLAIN SELECT 1',
    'SUMMARIZE raw.t',
    'SHOW ALL TABLES',
    'DESCRIBE DETAIL raw.t',
  ]) {
    assert.equal(parse(sql).kind, 'query', sql)
  }
  refused("ATTACH 'other.db' AS o", /'ATTACH' is not a statement the lake runs/)
  refused("COPY raw.t TO '/tmp/x.parquet'", /'COPY RAW' is not a statement the lake runs/)
  refused('INSTALL httpfs', /'INSTALL HTTPFS' is not a statement/)
  refused('SET threads = 1', /'SET THREADS' is not a statement/)
  refused('PRAGMA enable_profiling', /'PRAGMA ENABLE_PROFILING' is not/)
  refused('CREATE SCHEMA s', /CREATE SCHEMA is not supported: the lake creates tables only/)
  refused('CREATE VIEW v AS SELECT 1', /CREATE VIEW is not supported/)
  refused('DROP VIEW v', /DROP VIEW is not supported/)
  refused('EXPLAIN ANALYZE DELETE FROM raw.t', /'EXPLAIN … DELETE' is not a statement the lake runs/)
  refused('WITH a AS (SELECT 1) INSERT INTO raw.t SELECT * FROM a', /'WITH … INSERT'/)
  refused('SELEC 1', /Parser Error: syntax error at or near "SELEC"/, '1:1')
  refused('SELECT 1;\nDETACH o', /'DETACH O' is not a statement the lake runs.*at 2:1, statement 2/)
})
