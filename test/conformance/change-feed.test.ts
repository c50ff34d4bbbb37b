/**
 * Change Data Feed conformance: the change rows delta-kernel-rs and delta-rs assert for tables
 * written by Spark (../shared/conformance/2-delta-tables/expected-cdf), compared after sorting,
 * plus their error cases.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { after, describe, test } from 'node:test'
import type { ChangeFeedRange } from '../../src/delta/change-feed'
import { DeltaError } from '../../src/delta/errors'
import { dropScan, LakeEngine } from '../../src/engine'
import { rowsAsJson } from '../../src/engine/json-values'
import { requireConformanceDir, writeConformanceTally } from '../helpers/conformance'

const root = requireConformanceDir()
const engine = new LakeEngine()
const tally = { expectedRowsPassed: 0, errorCasesPassed: 0, failed: 0 }
after(async () => {
  await engine.close()
  writeConformanceTally('change-feed', tally)
})

/** A test whose outcome is counted for the README's figures. */
function countedTest(name: string, kind: 'expectedRowsPassed' | 'errorCasesPassed', body: () => Promise<void>) {
  test(name, async () => {
    try {
      await body()
      tally[kind]++
    } catch (error) {
      tally.failed++
      throw error
    }
  })
}

interface ExpectedTable {
  columns: string[]
  rows: string[]
}

/** arrow's pretty_format_batches output: a header row and unordered data rows; an empty cell is NULL. */
function parseAsciiTable(text: string): ExpectedTable {
  const lines = text.split('\n').filter((l) => l.startsWith('|'))
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim())
  const [header, ...body] = lines
  return { columns: cells(header), rows: body.map((l) => cells(l).join(' | ')).sort() }
}

/** Render one of our values the way arrow prints it. */
function render(value: unknown, type: string): string {
  if (value === null || value === undefined) return ''
  if (/^(DOUBLE|FLOAT)$/.test(type) && typeof value === 'number') return Number.isInteger(value) ? `${value}.0` : String(value)
  if (type.startsWith('TIMESTAMP') && typeof value === 'string') {
    // arrow prints fractions in whole milli/micro/nanoseconds: .57 is .570
    return value.replace(/Z$/, '').replace(/\.(\d+)$/, (_, f: string) => `.${f.padEnd(Math.ceil(f.length / 3) * 3, '0')}`)
  }
  if (type.startsWith('STRUCT') && typeof value === 'object') {
    const inner = /^STRUCT\((.*)\)$/.exec(type)![1]
    const types = splitStructTypes(inner)
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${k}: ${render(v, types.get(k) ?? '')}`)
      .join(', ')}}`
  }
  return String(value)
}

function splitStructTypes(inner: string): Map<string, string> {
  const out = new Map<string, string>()
  let depth = 0
  let start = 0
  const parts: string[] = []
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '(') depth++
    else if (inner[i] === ')') depth--
    else if (inner[i] === ',' && depth === 0) {
      parts.push(inner.slice(start, i))
      start = i + 1
    }
  }
  parts.push(inner.slice(start))
  for (const part of parts) {
    const match = /^\s*("(?:[^"]|"")*"|\S+)\s+(.*)$/.exec(part)!
    out.set(match[1].startsWith('"') ? match[1].slice(1, -1).replaceAll('""', '"') : match[1], match[2].trim())
  }
  return out
}

async function readChanges(table: string, range: ChangeFeedRange, columns: string[], where = ''): Promise<string[]> {
  const scan = await engine.changes(table, range)
  const db = await engine.duckdb()
  try {
    const list = columns.map((c) => `"${c.replaceAll('"', '""')}"`).join(', ')
    const result = await db.connection.runAndReadAll(`SELECT ${list} FROM ${scan.sql} ${where}`)
    const types = result.columnTypes().map((t) => t.toString())
    return rowsAsJson(result)
      .map((row) => columns.map((c, i) => render(row[c], types[i])).join(' | '))
      .sort()
  } finally {
    await dropScan(db, scan)
  }
}

interface Case {
  file: string
  table: string
  range: ChangeFeedRange
  where?: string
}

function kernelCases(dir: string): Case[] {
  const index = JSON.parse(readFileSync(path.join(dir, '2-delta-tables/expected-cdf/_index_delta-kernel-rs.json'), 'utf8')) as {
    file: string
    table: string
    start_version: number
    end_version: number | null
  }[]
  return index.map((e) => ({ file: e.file, table: e.table, range: { startVersion: e.start_version, endVersion: e.end_version ?? undefined } }))
}

const ms = (iso: string) => Date.parse(`${iso}Z`)
/** delta-rs cases: the parameters its tests pass (see _index_delta-rs.json builder_calls). */
const DELTA_RS_CASES: Case[] = [
  { file: 'delta-rs/cdf-table__v0-latest.txt', table: '2-delta-tables/delta-rs/cdf-table', range: { startVersion: 0 } },
  {
    file: 'delta-rs/cdf-table__v0-latest__where-birthday-2023-12-25.txt',
    table: '2-delta-tables/delta-rs/cdf-table',
    range: { startVersion: 0 },
    where: `WHERE birthday = DATE '2023-12-25'`,
  },
  {
    file: 'delta-rs/cdf-table__v0-to-ts-2023-12-22T17.10.21.675Z.txt',
    table: '2-delta-tables/delta-rs/cdf-table',
    range: { startVersion: 0, endTimestamp: ms('2023-12-22T17:10:21.675') },
  },
  { file: 'delta-rs/cdf-table-non-partitioned__v0-latest.txt', table: '2-delta-tables/delta-rs/cdf-table-non-partitioned', range: { startVersion: 0 } },
  { file: 'delta-rs/cdf-table-with-cdc-and-dvs__v0-latest.txt', table: '2-delta-tables/delta-rs/cdf-table-with-cdc-and-dvs', range: { startVersion: 0 } },
  {
    file: 'delta-rs/cdc_ict_table__from-ts-2026-07-11T16.36.53.881Z.txt',
    table: '2-delta-tables/delta-rs/cdc_ict_table',
    range: { startTimestamp: ms('2026-07-11T16:36:53.881') },
  },
  {
    file: 'delta-rs/checkpoint-cdf-table__from-ts-2024-01-06T15.44.59.570Z.txt',
    table: '2-delta-tables/delta-rs/checkpoint-cdf-table',
    range: { startTimestamp: ms('2024-01-06T15:44:59.570') },
  },
]

function rejectsClearly(promise: Promise<unknown>, table: string, words: RegExp) {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof DeltaError, String(error))
    assert.match(error.message, words)
    assert.ok(error.message.includes(table), error.message)
    return true
  })
}

if (!root) {
  test('change feed conformance', { skip: 'conformance data not found' }, () => {})
} else {
  describe('expected change rows', () => {
    for (const c of [...kernelCases(root), ...DELTA_RS_CASES]) {
      countedTest(c.file, 'expectedRowsPassed', async () => {
        const expected = parseAsciiTable(readFileSync(path.join(root, '2-delta-tables/expected-cdf', c.file), 'utf8'))
        const actual = await readChanges(path.join(root, c.table), c.range, expected.columns, c.where)
        assert.deepEqual(actual, expected.rows)
      })
    }
  })

  describe('change feed errors', () => {
    const table = (name: string) => path.join(root, '2-delta-tables', name)
    countedTest('start after end, start after the latest version', 'errorCasesPassed', async () => {
      const simple = table('delta-kernel-rs/cdf-table-simple')
      await rejectsClearly(engine.changes(simple, { startVersion: 1, endVersion: 0 }), simple, /start version 1 cannot be greater than the end version 0/)
      await rejectsClearly(engine.changes(simple, { startVersion: 3, endVersion: 4 }), simple, /start version 3 is after the latest version 2/)
      const nonPartitioned = table('delta-rs/cdf-table-non-partitioned')
      await rejectsClearly(engine.changes(nonPartitioned, { startVersion: 4, endVersion: 1 }), nonPartitioned, /cannot be greater/)
      await rejectsClearly(engine.changes(nonPartitioned, { startVersion: 5 }), nonPartitioned, /after the latest version/)
    })
    countedTest('a starting timestamp after the latest commit', 'errorCasesPassed', async () => {
      const t = table('delta-rs/cdf-table-non-partitioned')
      await rejectsClearly(engine.changes(t, { startTimestamp: ms('2033-12-22T17:10:21.675') }), t, /after the latest commit/)
    })
    countedTest('a table without the change data feed', 'errorCasesPassed', async () => {
      const t = table('delta-rs/simple_table')
      await rejectsClearly(engine.changes(t, { startVersion: 0 }), t, /change data feed is not enabled at version 0/)
    })
  })
}
