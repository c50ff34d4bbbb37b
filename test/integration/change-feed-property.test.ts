/**
 * Property test of MERGE, UPDATE, DELETE, appends and OPTIMIZE against the change data feed.
 *
 * Each sequence creates a table with the change data feed on (id BIGINT unique key, grp INTEGER,
 * v VARCHAR, n DOUBLE; partitioned by grp in every other sequence) and runs random operations on
 * it, drawn from a seeded PRNG. A model of the table is kept in plain JS (a Map by id; predicates and
 * SET expressions come in pairs: the SQL handed to the engine and a JS function with the same
 * meaning), so every operation's outcome is known in advance. Checked:
 * - after each operation: the committed version (a new one exactly when something changed, or a
 *   txn was recorded), the operation's row metrics, and the table's rows against the model;
 * - per version: the feed of that one version equals the model's diff between the two versions
 *   exactly (an id whose row changed: update_preimage + update_postimage; gone: delete; new:
 *   insert; unchanged ids, including no-op updates: nothing); and, on the feed over the whole
 *   range, every update_preimage has exactly one update_postimage with the same id in the same
 *   commit, the two differ, and a MERGE's no-op updates have no change rows;
 * - for every pair of versions a < b (a = -1 is the empty table before version 0): the table at a,
 *   plus the insert and update_postimage
 *   rows of the feed over a+1..b, less its delete and update_preimage rows (as multisets, with
 *   EXCEPT ALL in DuckDB), equals the table at b; and every removed row was present to remove;
 * - a MERGE replayed with an already recorded txn (appId, version) is skipped: alreadyApplied and
 *   no new version.
 *
 * Seeds: a random run seed is printed (as a diagnostic and in each test's name); sequence i uses
 * run seed + i. Replay with LAKEHOUSE_PROPERTY_SEED=<run seed>; LAKEHOUSE_PROPERTY_SEQUENCES and
 * LAKEHOUSE_PROPERTY_OPS change the size (default 6 sequences of 16 operations; under
 * LAKEHOUSE_SOAK, as `npm run soak` sets, 150 sequences of 20: over 3,000 operations), and
 * LAKEHOUSE_PROPERTY_ONLY=<i> runs sequence i alone. On a failure the operations of the sequence
 * are printed as diagnostics.
 *
 * The mix: every sequence commits at least one append, MERGE, UPDATE, DELETE and compacting
 * OPTIMIZE and replays a txn batch (operations missing from its random draw are run at its end),
 * and the test fails if one did not.
 *
 * Deletion vectors: sequences 0, 1, 4, 5, … run with delta.enableDeletionVectors = true (UPDATE,
 * DELETE and MERGE mark rows instead of rewriting files; OPTIMIZE purges the marks), the others
 * with it false (copy-on-write), against the same model: both give the same table and feed. A
 * sequence with DVs on must have committed DVs stored inline and in DV files, and its log must
 * pass the protocol check (test/helpers/protocol-check.ts).
 */
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { dropScan } from '../../src/engine'
import { appendQuery } from '../../src/table/delta-writer'
import { merge, type MergeOptions } from '../../src/table/merge'
import { optimize } from '../../src/table/optimize'
import { deleteRows, update } from '../../src/table/update-delete'
import { readCommits } from '../helpers/delta-log'
import { checkTableAgainstProtocol } from '../helpers/protocol-check'
import { lakeFixture } from '../helpers/lake-fixture'

const { lake, freshTable } = lakeFixture('cdf-property')

const CDF = { 'delta.enableChangeDataFeed': 'true' }
const RUN_SEED =
  process.env.LAKEHOUSE_PROPERTY_SEED !== undefined
    ? Number(process.env.LAKEHOUSE_PROPERTY_SEED)
    : (Math.floor(Math.random() * 2 ** 31) ^ (Date.now() & 0x7fffffff)) >>> 0
const SOAK = Boolean(process.env.LAKEHOUSE_SOAK)
const SEQUENCES = Number(process.env.LAKEHOUSE_PROPERTY_SEQUENCES ?? (SOAK ? 150 : 6))
const OPERATIONS = Number(process.env.LAKEHOUSE_PROPERTY_OPS ?? (SOAK ? 20 : 16))
const ONLY = process.env.LAKEHOUSE_PROPERTY_ONLY === undefined ? undefined : Number(process.env.LAKEHOUSE_PROPERTY_ONLY)
assert.ok(Number.isSafeInteger(RUN_SEED), `LAKEHOUSE_PROPERTY_SEED must be an integer, got ${process.env.LAKEHOUSE_PROPERTY_SEED}`)

process.stderr.write(
  `change-feed property test: run seed ${RUN_SEED} (replay: LAKEHOUSE_PROPERTY_SEED=${RUN_SEED}); ${SEQUENCES} sequences of ${OPERATIONS} operations\n`,
)

// -----------------------------------------------------------------------------------------------
// PRNG

class Random {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** mulberry32: [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]
  }

  /** k distinct items, in random order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const copy = [...items]
    for (let i = 0; i < Math.min(k, copy.length); i++) {
      const j = i + Math.floor(this.next() * (copy.length - i))
      ;[copy[i], copy[j]] = [copy[j], copy[i]]
    }
    return copy.slice(0, Math.min(k, copy.length))
  }
}

// -----------------------------------------------------------------------------------------------
// The model: rows by id, and SQL fragments paired with their meaning in JS

interface Row {
  id: number
  grp: number | null
  v: string | null
  n: number | null
}
type State = Map<number, Row>

const WORDS = ['alpha', 'beta', 'gamma', 'delta', "o'brien", 'x y', 'ünï', ''] as const
const PREFIXES = ['a', 'b', 'g', 'd', 'o', 'x'] as const

function randomGrp(rnd: Random): number | null {
  return rnd.chance(0.06) ? null : rnd.int(1, 4)
}
function randomV(rnd: Random): string | null {
  return rnd.chance(0.08) ? null : rnd.pick(WORDS) + (rnd.chance(0.5) ? String(rnd.int(0, 9)) : '')
}
/** Multiples of 1/4: exact in binary, so +1 and *2 mean the same in JS and DuckDB. */
function randomN(rnd: Random): number | null {
  return rnd.chance(0.08) ? null : rnd.int(-400, 400) / 4
}

const sameValues = (a: Row, b: Row) => a.grp === b.grp && a.v === b.v && a.n === b.n

function literal(value: string | number | null, type: string): string {
  if (value === null) return `NULL::${type}`
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`
  return `CAST(${value} AS ${type})`
}
function rowLiteral(r: Row, extra: string[] = []): string {
  return `(${[literal(r.id, 'BIGINT'), literal(r.grp, 'INTEGER'), literal(r.v, 'VARCHAR'), literal(r.n, 'DOUBLE'), ...extra].join(', ')})`
}
function rowsSql(rows: Row[]): string {
  return `SELECT * FROM (VALUES ${rows.map((r) => rowLiteral(r)).join(', ')}) s(id, grp, v, n)`
}

interface Predicate {
  sql: string
  js: (r: Row) => boolean
  partitionOnly?: boolean
}

function randomPredicate(rnd: Random, state: State): Predicate {
  const ids = [...state.keys()].sort((a, b) => a - b)
  switch (rnd.int(0, 14)) {
    case 9: {
      const w = rnd.pick(WORDS)
      return { sql: `v = '${w.replaceAll("'", "''")}'`, js: (r) => r.v === w }
    }
    case 10: {
      const ws = rnd.sample(
        WORDS.map((w) => w + String(rnd.int(0, 9))),
        3,
      )
      return { sql: `t.v IN (${ws.map((w) => `'${w.replaceAll("'", "''")}'`).join(', ')})`, js: (r) => r.v !== null && ws.includes(r.v) }
    }
    case 11: {
      const lo = rnd.int(-300, 200) / 4
      const hi = lo + rnd.int(0, 200) / 4
      return { sql: `n BETWEEN ${lo} AND ${hi}`, js: (r) => r.n !== null && r.n >= lo && r.n <= hi }
    }
    case 12: {
      // Byte order: JS compares UTF-16 code units, the same order for these (BMP) characters.
      const p = rnd.pick(['c', 'o', 'x', 'ü', 'delta'])
      return { sql: `v >= '${p}'`, js: (r) => r.v !== null && r.v >= p }
    }
    case 13: {
      const x = ids.length ? ids[rnd.int(0, ids.length - 1)] : 0
      return { sql: `t.id >= ${x}`, js: (r) => r.id >= x }
    }
    case 14: {
      const g = rnd.int(1, 4)
      return { sql: `t.grp <= ${g}`, js: (r) => r.grp !== null && r.grp <= g, partitionOnly: true }
    }
    case 0: {
      const m = rnd.int(2, 7)
      const k = rnd.int(0, m - 1)
      return { sql: `id % ${m} = ${k}`, js: (r) => r.id % m === k }
    }
    case 1: {
      const x = rnd.int(-300, 300) / 4
      return { sql: `n > ${x}`, js: (r) => r.n !== null && r.n > x }
    }
    case 2: {
      const p = rnd.pick(PREFIXES)
      return { sql: `v LIKE '${p}%'`, js: (r) => r.v !== null && r.v.startsWith(p) }
    }
    case 3: {
      const g = rnd.int(1, 4)
      return { sql: `grp = ${g}`, js: (r) => r.grp === g, partitionOnly: true }
    }
    case 4:
      return { sql: 'grp IS NULL OR grp IN (1, 3)', js: (r) => r.grp === null || r.grp === 1 || r.grp === 3, partitionOnly: true }
    case 5: {
      const g = rnd.int(1, 4)
      const x = rnd.int(-200, 200) / 4
      return { sql: `grp = ${g} AND n < ${x}`, js: (r) => r.grp === g && r.n !== null && r.n < x }
    }
    case 6: {
      const lo = ids.length ? ids[rnd.int(0, ids.length - 1)] : 0
      const hi = lo + rnd.int(0, 60)
      return { sql: `id BETWEEN ${lo} AND ${hi}`, js: (r) => r.id >= lo && r.id <= hi }
    }
    case 7:
      return { sql: 'v IS NULL OR n IS NULL', js: (r) => r.v === null || r.n === null }
    default:
      return { sql: `NOT (v = 'alpha')`, js: (r) => r.v !== null && r.v !== 'alpha' }
  }
}

interface Assignment {
  sql: Record<string, string>
  js: (r: Row) => Row
}

function randomAssignment(rnd: Random): Assignment {
  switch (rnd.int(0, 7)) {
    case 0:
      return { sql: { n: 'n + 1' }, js: (r) => ({ ...r, n: r.n === null ? null : r.n + 1 }) }
    case 1:
      return { sql: { v: "v || '+'" }, js: (r) => ({ ...r, v: r.v === null ? null : r.v + '+' }) }
    case 2: // moves rows between partitions
      return { sql: { grp: 'CASE WHEN grp IS NULL THEN 1 ELSE grp % 4 + 1 END' }, js: (r) => ({ ...r, grp: r.grp === null ? 1 : (r.grp % 4) + 1 }) }
    case 3: // a no-op for every row
      return { sql: { v: 'v' }, js: (r) => r }
    case 4: // a no-op for some rows
      return { sql: { n: 'abs(n)' }, js: (r) => ({ ...r, n: r.n === null ? null : Math.abs(r.n) }) }
    case 5:
      return { sql: { n: 'n * 2', v: "coalesce(v, 'filled')" }, js: (r) => ({ ...r, n: r.n === null ? null : r.n * 2, v: r.v ?? 'filled' }) }
    case 6: // a no-op on the partition column
      return { sql: { grp: 'grp' }, js: (r) => r }
    default:
      return { sql: { n: 'NULL' }, js: (r) => ({ ...r, n: null }) }
  }
}

/** A MERGE source row: the row, and what the batch says to do with it. */
interface SourceRow extends Row {
  op: 'upsert' | 'delete' | 'bump'
}

/** Shapes of MERGE, each with its meaning in JS. */
interface MergeVariant {
  name: string
  options: Omit<MergeOptions, 'txn' | 'snapshot'>
  /** The row after the merge, 'delete', or undefined (matched, but no clause applies). */
  matched: (s: SourceRow, t: Row) => Row | 'delete' | undefined
  /** The inserted row, or undefined (not inserted). */
  notMatched: (s: SourceRow) => Row | undefined
  /** A source row that makes a matched target row a no-op update. */
  unchanged: (t: Row, rnd: Random) => SourceRow
  ops: SourceRow['op'][]
  /** The join also requires equal grp: source rows for existing ids keep the target's (non-null) grp. */
  sameGrp?: boolean
}

const VARIANTS: MergeVariant[] = [
  {
    name: 'A (named clauses, set *)',
    options: {
      on: 't.id = s.id',
      whenMatchedDelete: { condition: "s.op = 'delete'" },
      whenMatchedUpdate: { set: '*' },
      whenNotMatchedInsert: { condition: "s.op <> 'delete'", values: '*' },
    },
    matched: (s, t) => (s.op === 'delete' ? 'delete' : { id: t.id, grp: s.grp, v: s.v, n: s.n }),
    notMatched: (s) => (s.op !== 'delete' ? { id: s.id, grp: s.grp, v: s.v, n: s.n } : undefined),
    unchanged: (t) => ({ ...t, op: 'upsert' }),
    ops: ['upsert', 'delete'],
  },
  {
    // The key equality written s = t: no key-range pruning, every file is read.
    name: 'B (ordered clauses, s.id = t.id, insert without n)',
    options: {
      on: 's.id = t.id',
      whenMatched: [
        { condition: "s.op = 'delete'", delete: true },
        { condition: "s.op = 'bump'", update: { n: 'coalesce(t.n, 0) + 1' } },
        { update: { v: 's.v', n: 's.n' } },
      ],
      whenNotMatched: [{ condition: "s.op = 'upsert'", insert: { id: 's.id', grp: 's.grp', v: 's.v' } }],
    },
    matched: (s, t) => {
      if (s.op === 'delete') return 'delete'
      if (s.op === 'bump') return { ...t, n: (t.n ?? 0) + 1 }
      return { ...t, v: s.v, n: s.n }
    },
    notMatched: (s) => (s.op === 'upsert' ? { id: s.id, grp: s.grp, v: s.v, n: null } : undefined),
    unchanged: (t, rnd) => ({ ...t, grp: randomGrp(rnd), op: 'upsert' }),
    ops: ['upsert', 'delete', 'bump'],
  },
  {
    // No insert clause; a delete condition on the target too; matched rows no clause applies to.
    name: 'C (update grp and n, conditional delete, no insert)',
    options: {
      on: 't.id = s.id',
      whenMatchedUpdate: { condition: "s.op = 'upsert'", set: { grp: 's.grp', n: 'coalesce(s.n, t.n)' } },
      whenMatchedDelete: { condition: "s.op = 'delete' AND coalesce(t.n, 0) >= 0" },
    },
    matched: (s, t) => {
      if (s.op === 'delete') return (t.n ?? 0) >= 0 ? 'delete' : undefined
      return { ...t, grp: s.grp, n: s.n ?? t.n }
    },
    notMatched: () => undefined,
    unchanged: (t, rnd) => ({ ...t, n: rnd.chance(0.5) ? null : t.n, v: randomV(rnd), op: 'upsert' }),
    ops: ['upsert', 'delete'],
  },
  {
    // The join on the key and the partition column, as partition-pruned upserts are written.
    name: 'D (on id and grp)',
    options: {
      on: 't.id = s.id AND t.grp = s.grp',
      whenMatchedDelete: { condition: "s.op = 'delete'" },
      whenMatchedUpdate: { set: { v: 's.v', n: 's.n' } },
      whenNotMatchedInsert: { condition: "s.op <> 'delete'", values: '*' },
    },
    matched: (s, t) => (s.op === 'delete' ? 'delete' : { ...t, v: s.v, n: s.n }),
    notMatched: (s) => (s.op !== 'delete' ? { id: s.id, grp: s.grp, v: s.v, n: s.n } : undefined),
    unchanged: (t) => ({ ...t, op: 'upsert' }),
    ops: ['upsert', 'delete'],
    sameGrp: true,
  },
]

function sourceSql(rows: SourceRow[]): string {
  return `SELECT * FROM (VALUES ${rows.map((r) => rowLiteral(r, [literal(r.op, 'VARCHAR')])).join(', ')}) s(id, grp, v, n, op)`
}

// -----------------------------------------------------------------------------------------------
// DuckDB helpers

const COLUMNS = 'id, grp, v, n'

async function db() {
  return lake.duckdb()
}

async function count(sql: string): Promise<number> {
  const [row] = await (await db()).rows(`SELECT count(*) AS n FROM (${sql})`)
  return Number(row.n)
}

async function sample(sql: string, limit = 6): Promise<string> {
  const rows = await (await db()).rows(`SELECT * FROM (${sql}) LIMIT ${limit}`)
  return rows.map((r) => JSON.stringify(r)).join('\n    ')
}

/** Fails unless the two relations hold the same rows as multisets (EXCEPT ALL both ways). */
async function assertSameRows(actual: string, expected: string, what: string): Promise<void> {
  const extra = `SELECT * FROM ${actual} EXCEPT ALL SELECT * FROM ${expected}`
  const missing = `SELECT * FROM ${expected} EXCEPT ALL SELECT * FROM ${actual}`
  const [e, m] = [await count(extra), await count(missing)]
  if (e + m > 0) {
    assert.fail(`${what}: ${e} unexpected row(s), ${m} missing row(s)\n  unexpected:\n    ${await sample(extra)}\n  missing:\n    ${await sample(missing)}`)
  }
}

async function createRowsTable(name: string, rows: Row[], withChangeType = false): Promise<void> {
  const d = await db()
  await d.run(`CREATE OR REPLACE TEMP TABLE ${name} (id BIGINT, grp INTEGER, v VARCHAR, n DOUBLE${withChangeType ? ', _change_type VARCHAR' : ''})`)
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500)
    const values = chunk.map((r) => rowLiteral(r, withChangeType ? [literal((r as Row & { changeType: string }).changeType, 'VARCHAR')] : []))
    await d.run(`INSERT INTO ${name} VALUES ${values.join(', ')}`)
  }
}

/** The model's change rows from one version to the next. */
function expectedChanges(before: Row[], after: Row[]): (Row & { changeType: string })[] {
  const old = new Map(before.map((r) => [r.id, r]))
  const now = new Map(after.map((r) => [r.id, r]))
  const changes: (Row & { changeType: string })[] = []
  for (const [id, r] of old) {
    const next = now.get(id)
    if (!next) changes.push({ ...r, changeType: 'delete' })
    else if (!sameValues(r, next)) changes.push({ ...r, changeType: 'update_preimage' }, { ...next, changeType: 'update_postimage' })
  }
  for (const [id, r] of now) if (!old.has(id)) changes.push({ ...r, changeType: 'insert' })
  return changes
}

// -----------------------------------------------------------------------------------------------
// One sequence

interface Sequence {
  index: number
  seed: number
  partitioned: boolean
  /** UPDATE, DELETE and MERGE mark rows in deletion vectors (merge-on-read). */
  deletionVectors: boolean
  table: string
  rnd: Random
  state: State
  nextId: number
  /** The model's rows at each committed version. */
  states: Map<number, Row[]>
  /** What produced each version. */
  opOf: Map<number, string>
  /** Ids a MERGE matched with an update that changed nothing, by the MERGE's version. */
  noopIds: Map<number, number[]>
  version: number
  txnVersion: number
  lastTxnMerge?: { sql: string; options: MergeOptions; label: string }
  log: string[]
  replays: number
  prefix: string
  /** Operations by kind, and how many of them committed nothing. */
  kinds: Record<string, number>
  /** Operations by kind that committed a version. */
  committed: Record<string, number>
}

async function latestVersion(s: Sequence): Promise<number> {
  return (await lake.snapshot(s.table)).version
}

/** Record the outcome of an operation: its version (if it should have one) and the model. */
async function settle(s: Sequence, label: string, resultVersion: number | undefined, expectCommit: boolean): Promise<void> {
  for (const kind of [label.split(' ')[0], ...(expectCommit ? [] : ['no version'])]) s.kinds[kind] = (s.kinds[kind] ?? 0) + 1
  if (expectCommit) s.committed[label.split(' ')[0]] = (s.committed[label.split(' ')[0]] ?? 0) + 1
  const latest = await latestVersion(s)
  if (expectCommit) {
    assert.equal(resultVersion, s.version + 1, `${label}: should commit version ${s.version + 1}`)
    assert.equal(latest, s.version + 1, `${label}: the table's latest version`)
    s.version = latest
    s.states.set(latest, [...s.state.values()])
    s.opOf.set(latest, label)
    s.log.push(`v${latest}: ${label}`)
  } else {
    assert.equal(resultVersion, undefined, `${label}: nothing changed, so nothing should be committed`)
    assert.equal(latest, s.version, `${label}: no new version`)
    s.log.push(`(no version): ${label}`)
  }
  // The table now equals the model.
  const snap = `${s.prefix}_snap_${s.version}`
  if (expectCommit) {
    const scan = await lake.scan(s.table, { version: s.version })
    try {
      await (await db()).run(`CREATE OR REPLACE TEMP TABLE ${snap} AS SELECT ${COLUMNS} FROM ${scan.sql}`)
    } finally {
      await dropScan(await db(), scan)
    }
  }
  const model = `${s.prefix}_model`
  await createRowsTable(model, [...s.state.values()])
  await assertSameRows(snap, model, `after ${label}: the table at version ${s.version} against the model`)
}

function newRows(s: Sequence, k: number): Row[] {
  const rows: Row[] = []
  for (let i = 0; i < k; i++) {
    s.nextId += s.rnd.chance(0.2) ? s.rnd.int(2, 30) : 1
    rows.push({ id: s.nextId, grp: randomGrp(s.rnd), v: randomV(s.rnd), n: randomN(s.rnd) })
  }
  return rows
}

async function opAppend(s: Sequence, k: number, create = false): Promise<void> {
  const rows = newRows(s, k)
  const properties = { ...CDF, 'delta.enableDeletionVectors': String(s.deletionVectors) }
  const result = await appendQuery(lake, s.table, rowsSql(rows), create ? { create: { partitionColumns: s.partitioned ? ['grp'] : [], properties } } : {})
  assert.equal(result.rows, k)
  for (const r of rows) s.state.set(r.id, r)
  if (create) {
    assert.equal(result.version, 0)
    s.states.set(0, [...s.state.values()])
    s.opOf.set(0, `create + append ${k} rows`)
    s.log.push(`v0: create${s.partitioned ? ' (partitioned by grp)' : ''} + append ${k} rows`)
    const scan = await lake.scan(s.table, { version: 0 })
    try {
      await (await db()).run(`CREATE OR REPLACE TEMP TABLE ${s.prefix}_snap_0 AS SELECT ${COLUMNS} FROM ${scan.sql}`)
    } finally {
      await dropScan(await db(), scan)
    }
    await createRowsTable(`${s.prefix}_model`, [...s.state.values()])
    await assertSameRows(`${s.prefix}_snap_0`, `${s.prefix}_model`, 'version 0 against the model')
    return
  }
  await settle(s, `append ${k} rows (ids ${rows[0].id}..${rows[rows.length - 1].id})`, result.version, true)
}

async function opMerge(s: Sequence): Promise<void> {
  const { rnd, state } = s
  const variant = rnd.pick(VARIANTS)
  const existing = [...state.values()].filter((r) => !variant.sameGrp || r.grp !== null).sort((a, b) => a.id - b.id)
  const allNoop = existing.length > 0 && rnd.chance(0.12)
  const k = rnd.int(Math.min(1, existing.length), Math.min(40, existing.length))
  // A window of neighbouring ids (few files overlap it: key-range pruning) or ids from anywhere.
  let chosen: Row[]
  if (rnd.chance(0.6)) {
    const start = rnd.int(0, Math.max(0, existing.length - k))
    chosen = existing.slice(start, start + k)
  } else {
    chosen = rnd.sample(existing, k)
  }
  const source: SourceRow[] = []
  for (const t of chosen) {
    const r = rnd.next()
    if (allNoop || (r >= 0.45 && r < 0.7)) source.push(variant.unchanged(t, rnd))
    else if (r < 0.45) {
      const op = rnd.pick(variant.ops.filter((o) => o !== 'delete'))
      const changed: SourceRow = {
        id: t.id,
        grp: !variant.sameGrp && rnd.chance(0.3) ? randomGrp(rnd) : t.grp,
        v: rnd.chance(0.6) ? randomV(rnd) : t.v,
        n: rnd.chance(0.6) ? randomN(rnd) : t.n,
        op,
      }
      source.push(changed)
    } else source.push({ ...t, op: 'delete' })
  }
  if (!allNoop) {
    for (const r of newRows(s, rnd.int(0, 15))) source.push({ ...r, op: rnd.chance(0.8) ? 'upsert' : rnd.pick(variant.ops) })
  }
  if (source.length === 0) source.push(...newRows(s, 1).map((r): SourceRow => ({ ...r, op: 'upsert' })))
  const shuffled = rnd.sample(source, source.length)
  const txn = !allNoop && rnd.chance(0.5) ? { appId: `property-${s.seed}`, version: ++s.txnVersion } : undefined

  // The model.
  let updated = 0
  let unchanged = 0
  let deleted = 0
  let inserted = 0
  const noopIds: number[] = []
  const next = new Map(state)
  for (const src of shuffled) {
    const target = state.get(src.id)
    assert.ok(
      !target || !variant.sameGrp || (target.grp !== null && target.grp === src.grp),
      'test bug: a variant D source row for an existing id must match it',
    )
    if (target) {
      const outcome = variant.matched(src, target)
      if (outcome === 'delete') {
        next.delete(src.id)
        deleted++
      } else if (outcome !== undefined) {
        if (sameValues(outcome, target)) {
          unchanged++
          noopIds.push(src.id)
        } else {
          next.set(src.id, outcome)
          updated++
        }
      }
    } else {
      const row = variant.notMatched(src)
      if (row) {
        next.set(row.id, row)
        inserted++
      }
    }
  }
  const sql = sourceSql(shuffled)
  const options: MergeOptions = { ...variant.options, ...(txn ? { txn } : {}) }
  const label =
    `merge ${variant.name}${allNoop ? ' all no-op' : ''}${txn ? ` txn ${txn.version}` : ''}: ${shuffled.length} source rows → ` +
    `${updated} updated, ${unchanged} unchanged, ${deleted} deleted, ${inserted} inserted`
  let result
  try {
    result = await merge(lake, s.table, sql, options)
  } catch (error) {
    throw new Error(`${label} failed: ${(error as Error).message}\n  source: ${sql}`, { cause: error })
  }
  assert.equal(result.alreadyApplied ?? false, false, `${label}: not a replay`)
  const m = result.metrics
  assert.deepEqual(
    { inserted: m.rowsInserted, updated: m.rowsUpdated, deleted: m.rowsDeleted, unchanged: m.rowsUnchanged },
    { inserted, updated, deleted, unchanged },
    `${label}: metrics`,
  )
  s.state.clear()
  for (const [id, row] of next) s.state.set(id, row)
  const changed = updated + deleted + inserted > 0
  await settle(s, label, result.version, changed || txn !== undefined)
  if (changed || txn) s.noopIds.set(s.version, noopIds)
  if (txn) {
    s.lastTxnMerge = { sql, options, label }
    // Replayed at once now and then, as a consumer restarting after its commit would.
    if (rnd.chance(0.3)) await opReplay(s)
  }
}

async function opReplay(s: Sequence): Promise<void> {
  const last = s.lastTxnMerge!
  const stale = s.rnd.chance(0.3) && last.options.txn!.version > 1
  const options = stale ? { ...last.options, txn: { ...last.options.txn!, version: last.options.txn!.version - 1 } } : last.options
  const before = s.version
  const result = await merge(lake, s.table, last.sql, options)
  const label = `replay of [${last.label}] with txn version ${options.txn!.version}${stale ? ' (older than recorded)' : ''}`
  assert.equal(result.alreadyApplied, true, `${label}: should be skipped as already applied`)
  assert.equal(result.version, undefined, `${label}: no version`)
  assert.equal(await latestVersion(s), before, `${label}: the table did not move`)
  s.replays++
  s.log.push(`(no version): ${label}`)
}

async function opUpdate(s: Sequence): Promise<void> {
  const predicate = randomPredicate(s.rnd, s.state)
  const set = randomAssignment(s.rnd)
  let updated = 0
  let unchanged = 0
  for (const [id, row] of s.state) {
    if (!predicate.js(row)) continue
    const next = set.js(row)
    if (sameValues(next, row)) unchanged++
    else {
      s.state.set(id, next)
      updated++
    }
  }
  const label = `update set ${JSON.stringify(set.sql)} where ${predicate.sql} → ${updated} updated, ${unchanged} unchanged`
  const result = await update(lake, s.table, predicate.sql, set.sql)
  assert.deepEqual({ updated: result.metrics.rowsUpdated, unchanged: result.metrics.rowsUnchanged }, { updated, unchanged }, `${label}: metrics`)
  await settle(s, label, result.version, updated > 0)
}

async function opDelete(s: Sequence): Promise<void> {
  let predicate = randomPredicate(s.rnd, s.state)
  // Partition-only predicates (whole files dropped) in about a third of the deletes.
  if (s.rnd.chance(0.3) && !predicate.partitionOnly) {
    const g = s.rnd.int(1, 4)
    predicate = { sql: `grp = ${g}`, js: (r) => r.grp === g, partitionOnly: true }
  }
  let deleted = 0
  for (const [id, row] of s.state)
    if (predicate.js(row)) {
      s.state.delete(id)
      deleted++
    }
  const label = `delete where ${predicate.sql}${predicate.partitionOnly ? ' (partition columns only)' : ''} → ${deleted} deleted`
  const result = await deleteRows(lake, s.table, predicate.sql)
  assert.equal(result.metrics.rowsDeleted, deleted, `${label}: metrics`)
  await settle(s, label, result.version, deleted > 0)
}

async function opOptimize(s: Sequence): Promise<void> {
  // Every file here is far below the target size: a partition with two or more files is compacted.
  const snapshot = await lake.snapshot(s.table)
  const perPartition = new Map<string, number>()
  for (const f of snapshot.files) {
    const key = JSON.stringify(f.add.partitionValues)
    perPartition.set(key, (perPartition.get(key) ?? 0) + 1)
  }
  // A file with a deletion vector is rewritten even alone: OPTIMIZE purges the rows it marks.
  const expectCommit = [...perPartition.values()].some((n) => n >= 2) || snapshot.files.some((f) => f.add.deletionVector)
  const result = await optimize(lake, s.table)
  await settle(s, `optimize (${snapshot.files.length} files in ${perPartition.size} partition(s))`, result.version, expectCommit)
}

// -----------------------------------------------------------------------------------------------
// The checks over the versions of a sequence

async function checkFeed(s: Sequence): Promise<void> {
  const d = await db()
  const all = `${s.prefix}_feed`
  const feed = await lake.changes(s.table, { startVersion: 0, endVersion: s.version })
  try {
    await d.run(`CREATE OR REPLACE TEMP TABLE ${all} AS SELECT ${COLUMNS}, _change_type, _commit_version FROM ${feed.sql}`)
  } finally {
    await dropScan(d, feed)
  }
  assert.equal(
    await count(`SELECT * FROM ${all} WHERE _change_type NOT IN ('insert', 'delete', 'update_preimage', 'update_postimage') OR _change_type IS NULL`),
    0,
    'change types',
  )

  // Pre- and post-images pair up by id within each commit, and differ.
  const unpaired = `SELECT _commit_version, id, count(*) FILTER (WHERE _change_type = 'update_preimage') AS pre, count(*) FILTER (WHERE _change_type = 'update_postimage') AS post
    FROM ${all} WHERE _change_type LIKE 'update_%' GROUP BY ALL HAVING pre <> 1 OR post <> 1`
  if ((await count(unpaired)) > 0) assert.fail(`update_preimage and update_postimage rows do not pair up by id within a commit:\n    ${await sample(unpaired)}`)
  const identical = `SELECT a._commit_version, a.id FROM ${all} a JOIN ${all} b ON a._commit_version = b._commit_version AND a.id = b.id
    WHERE a._change_type = 'update_preimage' AND b._change_type = 'update_postimage' AND a.grp IS NOT DISTINCT FROM b.grp AND a.v IS NOT DISTINCT FROM b.v AND a.n IS NOT DISTINCT FROM b.n`
  if ((await count(identical)) > 0)
    assert.fail(`update pre- and post-images that are identical (no-op updates must not produce change rows):\n    ${await sample(identical)}`)
  const mixed = `SELECT _commit_version, id FROM ${all} GROUP BY ALL HAVING count(*) FILTER (WHERE _change_type LIKE 'update_%') > 0 AND count(*) FILTER (WHERE _change_type NOT LIKE 'update_%') > 0`
  if ((await count(mixed)) > 0) assert.fail(`an id with both update images and an insert or delete in one commit:\n    ${await sample(mixed)}`)
  for (const [version, ids] of s.noopIds) {
    if (ids.length === 0) continue
    const rows = `SELECT * FROM ${all} WHERE _commit_version = ${version} AND id IN (${ids.join(', ')})`
    if ((await count(rows)) > 0) assert.fail(`v${version} (${s.opOf.get(version)}): change rows for ids whose update was a no-op:\n    ${await sample(rows)}`)
  }

  // Each version's feed is exactly the model's diff.
  for (let v = 0; v <= s.version; v++) {
    const expected = `${s.prefix}_expected`
    await createRowsTable(expected, expectedChanges(v === 0 ? [] : s.states.get(v - 1)!, s.states.get(v)!), true)
    const single = await lake.changes(s.table, { startVersion: v, endVersion: v })
    const actual = `${s.prefix}_actual`
    try {
      await d.run(`CREATE OR REPLACE TEMP TABLE ${actual} AS SELECT ${COLUMNS}, _change_type, _commit_version FROM ${single.sql}`)
    } finally {
      await dropScan(d, single)
    }
    assert.equal(await count(`SELECT * FROM ${actual} WHERE _commit_version <> ${v}`), 0, `v${v}: the feed of version ${v} alone has rows of other versions`)
    await assertSameRows(`(SELECT ${COLUMNS}, _change_type FROM ${actual})`, expected, `v${v} (${s.opOf.get(v)}): its change rows against the model's diff`)
    await assertSameRows(
      `(SELECT ${COLUMNS}, _change_type FROM ${all} WHERE _commit_version = ${v})`,
      expected,
      `v${v} (${s.opOf.get(v)}): its rows in the feed over the whole range`,
    )
  }
}

/** Table at a + feed (a+1..b) = table at b, for pairs of versions; a = -1 is the empty table. */
async function checkPairs(s: Sequence, t: TestContext): Promise<void> {
  const d = await db()
  const pairs: [number, number][] = []
  for (let a = -1; a < s.version; a++) for (let b = a + 1; b <= s.version; b++) pairs.push([a, b])
  // Versions 0..V and the empty table before them: (V + 2)(V + 1) / 2 pairs, every one checked.
  assert.equal(pairs.length, ((s.version + 2) * (s.version + 1)) / 2)
  let checked = 0
  const feed = `${s.prefix}_pair_feed`
  for (const [a, b] of pairs) {
    const before = a === -1 ? `(SELECT ${COLUMNS} FROM ${s.prefix}_snap_0 WHERE false)` : `${s.prefix}_snap_${a}`
    const after = `${s.prefix}_snap_${b}`
    const scan = await lake.changes(s.table, { startVersion: a + 1, endVersion: b })
    try {
      await d.run(`CREATE OR REPLACE TEMP TABLE ${feed} AS SELECT ${COLUMNS}, _change_type FROM ${scan.sql}`)
    } finally {
      await dropScan(d, scan)
    }
    const added = `(SELECT ${COLUMNS} FROM ${before} UNION ALL SELECT ${COLUMNS} FROM ${feed} WHERE _change_type IN ('insert', 'update_postimage'))`
    const removed = `(SELECT ${COLUMNS} FROM ${feed} WHERE _change_type IN ('delete', 'update_preimage'))`
    const what = `table at ${a === -1 ? 'nothing' : `v${a}`} + changes v${a + 1}..v${b} vs table at v${b}`
    const phantom = `SELECT * FROM ${removed} EXCEPT ALL SELECT * FROM ${added}`
    if ((await count(phantom)) > 0) assert.fail(`${what}: rows deleted or pre-imaged that were never there:\n    ${await sample(phantom)}`)
    await assertSameRows(`(SELECT * FROM ${added} EXCEPT ALL SELECT * FROM ${removed})`, after, what)
    checked++
  }
  assert.equal(checked, pairs.length)
  t.diagnostic(`sequence ${s.index}: ${s.version + 1} versions, all ${checked} version pairs checked`)
}

/**
 * Run whatever kind of operation the random draw left out (or that never committed) until each has
 * committed once: an UPDATE or DELETE that matched nothing, or an OPTIMIZE with nothing to compact,
 * does not count. Then fail unless the mix is complete.
 */
async function completeTheMix(s: Sequence): Promise<void> {
  const MAX_TRIES = 20
  const until = async (kind: string, run: () => Promise<void>) => {
    for (let tries = 0; !s.committed[kind] && tries < MAX_TRIES; tries++) {
      if (s.state.size < 15) await opAppend(s, s.rnd.int(20, 80))
      await run()
    }
  }
  await until('append', () => opAppend(s, s.rnd.int(1, 80)))
  await until('merge', () => opMerge(s))
  await until('update', () => opUpdate(s))
  await until('delete', () => opDelete(s))
  // An append adds a file beside the ones OPTIMIZE may have compacted: there is something to compact.
  await until('optimize', async () => {
    await opAppend(s, s.rnd.int(5, 40))
    await opOptimize(s)
  })
  if (s.replays === 0) {
    while (!s.lastTxnMerge) await opMerge(s)
    await opReplay(s)
  }
  for (const kind of ['append', 'merge', 'update', 'delete', 'optimize']) {
    assert.ok((s.committed[kind] ?? 0) > 0, `sequence ${s.index}: no ${kind} committed a version (operations ${JSON.stringify(s.kinds)})`)
  }
  assert.ok(s.replays > 0, `sequence ${s.index}: no txn batch was replayed`)
  if (s.deletionVectors) {
    // Small marks go inline, larger ones to DV files: make sure both were committed.
    const storage = () =>
      new Set(
        readCommits(s.table).flatMap((c) => c.actions.flatMap((a) => ('add' in a && a.add.deletionVector ? [a.add.deletionVector.storageType as string] : []))),
      )
    for (let tries = 0; tries < 20 && !storage().has('i'); tries++) await opUpdateFew(s)
    for (let tries = 0; tries < 20 && !storage().has('u'); tries++) await opDeleteMany(s)
    assert.deepEqual([...storage()].sort(), ['i', 'u'], `sequence ${s.index}: deletion vectors committed inline and in files`)
  }
}

/** An UPDATE of one row (its DV is small enough to go inline). */
async function opUpdateFew(s: Sequence): Promise<void> {
  if (s.state.size < 15) await opAppend(s, s.rnd.int(20, 80))
  const ids = [...s.state.keys()]
  const id = ids[s.rnd.int(0, ids.length - 1)]
  const row = s.state.get(id)!
  const next = { ...row, n: (row.n ?? 0) + 1 }
  s.state.set(id, next)
  const label = `update set n = coalesce(n, 0) + 1 where id = ${id} → 1 updated`
  const result = await update(lake, s.table, `id = ${id}`, { n: 'coalesce(n, 0) + 1' })
  assert.equal(result.metrics.rowsUpdated, 1, `${label}: metrics`)
  await settle(s, label, result.version, true)
}

/** A DELETE of two rows in three of a freshly appended batch (its DVs are too large to go inline). */
async function opDeleteMany(s: Sequence): Promise<void> {
  const first = s.nextId + 1
  await opAppend(s, 400)
  let deleted = 0
  for (const [id] of s.state)
    if (id >= first && id % 3 !== 0) {
      s.state.delete(id)
      deleted++
    }
  const label = `delete where id >= ${first} AND id % 3 <> 0 → ${deleted} deleted`
  const result = await deleteRows(lake, s.table, `id >= ${first} AND id % 3 <> 0`)
  assert.equal(result.metrics.rowsDeleted, deleted, `${label}: metrics`)
  await settle(s, label, result.version, deleted > 0)
}

async function runSequence(index: number, t: TestContext): Promise<void> {
  const seed = (RUN_SEED + index) >>> 0
  const s: Sequence = {
    index,
    seed,
    partitioned: index % 2 === 1,
    deletionVectors: Math.floor(index / 2) % 2 === 0,
    table: freshTable(`seq${index}`),
    rnd: new Random(seed),
    state: new Map(),
    nextId: 0,
    states: new Map(),
    opOf: new Map(),
    noopIds: new Map(),
    version: 0,
    txnVersion: 0,
    log: [],
    replays: 0,
    prefix: `prop_${index}`,
    kinds: {},
    committed: {},
  }
  try {
    await opAppend(s, s.rnd.int(80, 250), true)
    for (let i = 0; i < OPERATIONS; i++) {
      // Small (even empty) tables are kept now and then: operations on them are edge cases too.
      if (s.state.size < 15 && s.rnd.chance(0.7)) {
        await opAppend(s, s.rnd.int(20, 80))
        continue
      }
      const r = s.rnd.next()
      if (r < 0.12) await opAppend(s, s.rnd.int(1, 80))
      else if (r < 0.42) await opMerge(s)
      else if (r < 0.6) await opUpdate(s)
      else if (r < 0.76) await opDelete(s)
      else if (r < 0.9) await opOptimize(s)
      else if (s.lastTxnMerge) await opReplay(s)
      else await opMerge(s)
    }
    await completeTheMix(s)
    await checkFeed(s)
    await checkPairs(s, t)
    if (s.deletionVectors) await checkTableAgainstProtocol(lake, s.table)
    t.diagnostic(
      `sequence ${index}: seed ${seed}, ${s.partitioned ? 'partitioned by grp' : 'unpartitioned'}, deletion vectors ${s.deletionVectors ? 'on' : 'off'}, ${s.version + 1} versions, ${s.state.size} rows at the end, ` +
        `operations ${JSON.stringify(s.kinds)}, committed ${JSON.stringify(s.committed)}, ${s.replays} txn replays`,
    )
  } catch (error) {
    t.diagnostic(`sequence ${index} failed (seed ${seed}; replay: LAKEHOUSE_PROPERTY_SEED=${RUN_SEED} LAKEHOUSE_PROPERTY_ONLY=${index}); operations:`)
    for (const line of s.log) t.diagnostic(`  ${line}`)
    throw error
  } finally {
    const d = await db()
    const tables = await d.rows(`SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE '${s.prefix}\\_%' ESCAPE '\\'`)
    for (const { table_name } of tables) await d.run(`DROP TABLE IF EXISTS ${String(table_name)}`)
  }
}

test(`change-feed property test setup: run seed ${RUN_SEED}`, (t) => {
  t.diagnostic(`run seed ${RUN_SEED}: replay with LAKEHOUSE_PROPERTY_SEED=${RUN_SEED}; ${SEQUENCES} sequences of ${OPERATIONS} random operations`)
  assert.ok(SEQUENCES > 0 && OPERATIONS > 0, 'the test runs at least one operation')
})

for (let index = 0; index < SEQUENCES; index++) {
  if (ONLY !== undefined && index !== ONLY) continue
  test(`random operation sequence ${index} (seed ${(RUN_SEED + index) >>> 0}, ${index % 2 === 1 ? 'partitioned' : 'unpartitioned'}, deletion vectors ${Math.floor(index / 2) % 2 === 0 ? 'on' : 'off'}): change feed between every pair of versions`, async (t) => {
    await runSequence(index, t)
  })
}
