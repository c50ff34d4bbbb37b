/**
 * Preparing a SQL text for DuckDB. Spark's syntax is turned into names DuckDB can parse:
 * ``delta.`path` ``, `zone.table VERSION AS OF n` / `TIMESTAMP AS OF '…'` and `table_changes(…)`
 * become synthetic table names. DuckDB's parser then finds every table reference (so a column
 * `t.x` is never mistaken for a table), each lake table is read as one snapshot (one per table
 * and version for the whole query): through a subquery put where the parse located each reference
 * (inline-tables.ts), else a view; files that the query's filters rule out are left out of it.
 * DESCRIBE HISTORY / DETAIL become result tables.
 */
import * as path from 'node:path'
import { type DeltaError, planScan, type Snapshot } from '../delta'
import { dropScan, filesMatching, missingFileError, registerScan, type DuckDb, type LakeEngine } from '../engine'
import type { LakeCatalog } from '../engine'
import { tableOccurrences, type TableOccurrence } from './constraints'
import { describeDetail, describeHistory } from './describe'
import { lockViews, queryState, type CachedView, type QueryState } from './query-state'
import { applyReplacements, errorInQueryText, inlineReplacements, type TextReplacement } from './inline-tables'
import { asOf, compactTimestamp, parseTimestamp } from './time-travel'
import { findInCode, quoteName, replaceMatches, unquoteIdentifier, unquoteLiteral, type TextMatch } from './sql-text'

export interface TableRead {
  /** How the query named it: `raw.orders`, `raw.orders@v3`, a path, or `table_changes(...)`. */
  name: string
  path: string
  version: number
  filesTotal: number
  /** Files read after skipping by partition values and statistics. */
  filesRead: number
}

export interface PreparedQuery {
  /** The SQL to run on the engine's DuckDB connection. */
  sql: string
  tables: TableRead[]
  /** A DuckDB error from running `sql`, with its position (`LINE n:` and caret) in the query's own text. */
  inQueryText(error: unknown): unknown
  /**
   * Ends the query: drops what it alone used and lets the next query prepare. Until then this
   * query holds the database's views (call it exactly once, when the result is read).
   */
  release(): Promise<void>
}

const PATH_SCHEMA = '__delta'
const CHANGES_SCHEMA = '__changes'
const DUCKDB_SCHEMAS = new Set(['main', 'temp', 'information_schema', 'pg_catalog', 'system', ''])

const IDENT = `(?:"(?:[^"]|"")+"|[A-Za-z_][\\w-]*)`
const PATH_REF = '(?<![\\w$.])delta\\s*\\.\\s*`((?:[^`]|``)+)`'
const NAME_REF = `(?<![\\w$."])(${IDENT})\\s*\\.\\s*(${IDENT})`
const AS_OF = `\\s+(VERSION|TIMESTAMP)\\s+AS\\s+OF\\s+(\\d+|'(?:[^']|'')*')`
const ARG = `(\\d+|'(?:[^']|'')*')`

interface Target {
  kind: 'table' | 'changes'
  label: string
  path: string
  version?: number
  timestamp?: number
  changes?: { start: number | string; end?: number | string }
}

export interface PrepareOptions {
  /**
   * The caller runs the SQL and passes its errors through `inQueryText`, which names a missing
   * file and the version that lists it: the files need not be checked for existence beforehand.
   */
  reportsErrors?: boolean
}

export async function prepareQuery(lake: LakeEngine, catalog: LakeCatalog, sql: string, options: PrepareOptions = {}): Promise<PreparedQuery> {
  const db = await lake.duckdb()
  const state = queryState(db)
  const unlock = await lockViews(db)
  const cleanup: (() => Promise<void>)[] = []
  let released = false
  const release = async () => {
    if (released) return
    released = true
    try {
      for (const step of cleanup.reverse()) await step()
    } finally {
      unlock()
    }
  }
  try {
    const describe = /^\s*DESCRIBE\s+(HISTORY|DETAIL)\s+([\s\S]+?)(?:\s+LIMIT\s+(\d+))?\s*;?\s*$/i.exec(sql)
    if (describe) return await prepareDescribe(lake, catalog, describe, cleanup, release)

    const targets = new Map<string, Target>()
    let rewritten = sql
    // 1. Spark syntax → synthetic names.
    const changeCalls = findInCode(
      rewritten,
      new RegExp(`(table_changes(?:_by_path)?)\\s*\\(\\s*('(?:[^']|'')*')\\s*,\\s*${ARG}\\s*(?:,\\s*${ARG}\\s*)?\\)`, 'gi'),
    )
    rewritten = replaceMatches(rewritten, changeCalls, (m) => {
      const key = String(targets.size)
      const byPath = m.groups.shift()!.toLowerCase() === 'table_changes_by_path'
      const named = unquoteLiteral(m.groups[0]!)
      // table_changes('delta.`/path`', …) and table_changes_by_path('/path', …) name a table by path.
      const pathName = /^\s*delta\s*\.\s*`((?:[^`]|``)+)`\s*$/i.exec(named)
      const source = byPath ? path.resolve(catalog.lakeDir, named) : pathName ? path.resolve(catalog.lakeDir, pathName[1].replaceAll('``', '`')) : named
      const arg = (v?: string) => (v === undefined ? undefined : v.startsWith("'") ? unquoteLiteral(v) : Number(v))
      targets.set(`${CHANGES_SCHEMA}.${key}`, {
        kind: 'changes',
        label: `table_changes('${source}')`,
        path: source,
        changes: { start: arg(m.groups[1])!, end: arg(m.groups[2]) },
      })
      return `${quoteName(CHANGES_SCHEMA)}.${quoteName(key)}`
    })
    const pathRefs = findInCode(rewritten, new RegExp(`${PATH_REF}(?:${AS_OF}|@(?:[vV](\\d+)|(\\d{17}))(?![\\w@]))?`, 'gi'))
    rewritten = replaceMatches(rewritten, pathRefs, (m) => {
      const tablePath = path.resolve(catalog.lakeDir, m.groups[0]!.replaceAll('``', '`'))
      const when =
        m.groups[3] !== undefined
          ? asOf('VERSION', m.groups[3])
          : m.groups[4] !== undefined
            ? asOf('TIMESTAMP', `'${new Date(compactTimestamp(m.groups[4])).toISOString()}'`)
            : asOf(m.groups[1], m.groups[2])
      const name = `${tablePath}${when.suffix}`
      targets.set(`${PATH_SCHEMA}.${name}`, {
        kind: 'table',
        label: `delta.\`${tablePath}\`${when.suffix}`,
        path: tablePath,
        version: when.version,
        timestamp: when.timestamp,
      })
      return `${quoteName(PATH_SCHEMA)}.${quoteName(name)}`
    })
    // Delta's name@v3 and name@yyyyMMddHHmmssSSS (UTC): the same synthetic names as AS OF.
    const atNames = findInCode(rewritten, new RegExp(`${NAME_REF}@(?:[vV](\\d+)|(\\d{17}))(?![\\w@])`, 'g'))
    rewritten = replaceMatches(rewritten, atNames, (m: TextMatch) => {
      const zone = unquoteIdentifier(m.groups[0]!)
      const table = unquoteIdentifier(m.groups[1]!)
      const suffix = m.groups[2] !== undefined ? `@v${m.groups[2]}` : `@t${compactTimestamp(m.groups[3]!)}`
      return `${quoteName(zone)}.${quoteName(`${table}${suffix}`)}`
    })
    const timeTravel = findInCode(rewritten, new RegExp(`${NAME_REF}${AS_OF}`, 'gi'))
    rewritten = replaceMatches(rewritten, timeTravel, (m: TextMatch) => {
      const zone = unquoteIdentifier(m.groups[0]!)
      const table = unquoteIdentifier(m.groups[1]!)
      const when = asOf(m.groups[2], m.groups[3])
      return `${quoteName(zone)}.${quoteName(`${table}${when.suffix}`)}`
    })

    // 2. DuckDB's parser finds the table references and the filters on them. Meanwhile, what
    // looks like a lake table is looked up and its snapshot loaded (file system work that would
    // otherwise wait for the parse); the parse decides what is used.
    const early = lookAhead(lake, catalog, rewritten)
    const occurrences = await parseOccurrences(lake, catalog, state, rewritten)
    const byName = new Map<string, TableOccurrence[]>()
    for (const o of occurrences) {
      if (o.catalog !== '' || DUCKDB_SCHEMAS.has(o.schema)) continue
      const key = `${o.schema}.${o.table}`
      byName.set(key, [...(byName.get(key) ?? []), o])
    }

    // 3. One view per referenced table and version, holding only the files the filters allow.
    // Views kept from earlier queries that this one does not name are dropped first, so a
    // reference the parse missed fails as unknown instead of reading an old snapshot.
    const named = new Set([...byName.values()].map(([o]) => `${quoteName(o.schema)}.${quoteName(o.table)}`))
    for (const view of [...state.views.keys()]) if (!named.has(view)) await dropView(db, state, view)
    const tables: TableRead[] = []
    const replacements: TextReplacement[] = []
    const scanOptions = { missingFilesReportedByCaller: options.reportsErrors === true }
    for (const [name, uses] of byName) {
      const { schema, table } = uses[0]
      const looked = await early.get(name)
      const target = targets.get(name) ?? looked?.target ?? (await lakeTarget(catalog, schema, table))
      // A schema not yet made is made by the statement that creates the view (one round trip).
      const createSchema = state.schemas.has(schema) ? '' : `CREATE SCHEMA IF NOT EXISTS ${quoteName(schema)}; `
      const view = `${quoteName(schema)}.${quoteName(table)}`
      if (target.kind === 'changes') {
        const changesPath = target.path.includes('/') ? path.resolve(catalog.lakeDir, target.path) : (await catalog.resolve(target.path)).path
        const bound = (v: number | string | undefined, side: 'start' | 'end') =>
          v === undefined ? {} : typeof v === 'number' ? { [`${side}Version`]: v } : { [`${side}Timestamp`]: parseTimestamp(v) }
        const scan = await lake.changes(changesPath, { ...bound(target.changes!.start, 'start'), ...bound(target.changes!.end, 'end') })
        tables.push({ name: target.label, path: changesPath, version: -1, filesTotal: 0, filesRead: 0 })
        await replaceView(db, state, view, { key: '', scan }, createSchema)
        state.schemas.add(schema)
        cleanup.push(() => dropView(db, state, view))
        continue
      }
      const snapshot =
        looked?.snapshot ??
        (await lake.snapshot(
          target.path,
          target.version !== undefined ? { version: target.version } : target.timestamp !== undefined ? { timestamp: target.timestamp } : {},
        ))
      const files = await filesForUses(lake, state, snapshot, uses)
      tables.push({ name: target.label, path: target.path, version: snapshot.version, filesTotal: snapshot.files.length, filesRead: files.length })
      const key = `${snapshotKey(snapshot)}\n${files.map((f) => f.path).join('\n')}`
      const spans = inlineReplacements(rewritten, uses)
      if (spans) {
        const scan = await inlineScan(lake, state, view, key, { ...snapshot, files }, cleanup, scanOptions)
        for (const span of spans) replacements.push({ ...span, subquery: scan.sql })
        continue
      }
      // The view of the previous query that read the same files of this table is still right.
      const cached = state.views.get(view)
      if (cached?.key === key && !cached.inline) continue
      // Only the files the filters leave are planned (each file's plan is its own: a tenth of the work here).
      const scan = await registerScan(db, lake.io.storage, planScan({ ...snapshot, files }), scanOptions)
      await replaceView(db, state, view, { key, scan }, createSchema)
      state.schemas.add(schema)
      // Views over temporary tables (deletion vectors' row lists) are not kept: they hold memory.
      if (scan.temporaryTables.length > 0) cleanup.push(() => dropView(db, state, view))
    }
    const ran = applyReplacements(rewritten, replacements)
    return {
      sql: ran,
      tables,
      release,
      inQueryText: (error) => missingInTable(error, tables) ?? errorInQueryText(error, ran, rewritten, replacements),
    }
  } catch (error) {
    await release()
    throw error
  }
}

/** A file the query reads that is gone from the disk: named, with the version of its table that lists it. */
function missingInTable(error: unknown, tables: TableRead[]): DeltaError | undefined {
  const generic = missingFileError(error)
  if (!generic) return undefined
  const file = /(?:pattern|file) "([^"]+)"/.exec((error as Error).message)?.[1] ?? ''
  const table = tables.find((t) => t.version >= 0 && file.startsWith(t.path + path.sep))
  if (!table) return generic
  return missingFileError(error, `data file %s is listed in version ${table.version} of the log but is missing on disk`, table.path)
}

/**
 * The `zone.table` names of a query's text (before its parse tells which are tables), each looked
 * up with its latest snapshot; undefined for what is not a table (a struct's field) or fails (the
 * parse's own lookup then reports it).
 */
function lookAhead(lake: LakeEngine, catalog: LakeCatalog, sql: string): Map<string, Promise<{ target: Target; snapshot: Snapshot } | undefined>> {
  const early = new Map<string, Promise<{ target: Target; snapshot: Snapshot } | undefined>>()
  for (const m of findInCode(sql, new RegExp(NAME_REF, 'g'))) {
    const schema = unquoteIdentifier(m.groups[0]!)
    const table = unquoteIdentifier(m.groups[1]!)
    const name = `${schema}.${table}`
    if (DUCKDB_SCHEMAS.has(schema) || schema === PATH_SCHEMA || schema === CHANGES_SCHEMA || table.includes('@') || early.has(name)) continue
    const lookup = async () => {
      const target = await lakeTarget(catalog, schema, table)
      return { target, snapshot: await lake.snapshot(target.path) }
    }
    early.set(
      name,
      lookup().catch(() => undefined),
    )
  }
  return early
}

/** A lake table named `schema.table` (with an `@v…`/`@t…` suffix for time travel). */
async function lakeTarget(catalog: LakeCatalog, schema: string, name: string): Promise<Target> {
  const match = /^(.*?)(?:@v(\d+)|@t(-?\d+))?$/.exec(name)!
  const entry = await catalog.resolve(`${schema}.${match[1]}`)
  return {
    kind: 'table',
    label: name === match[1] ? entry.name : `${entry.name}${name.slice(match[1].length)}`,
    path: entry.path,
    version: match[2] === undefined ? undefined : Number(match[2]),
    timestamp: match[3] === undefined ? undefined : Number(match[3]),
  }
}

/** DuckDB's parse of the statement, or for what it will not serialise, the fallback below. */
async function parseOccurrences(lake: LakeEngine, catalog: LakeCatalog, state: QueryState, sql: string): Promise<TableOccurrence[]> {
  const known = state.parses.get(sql)
  if (known) return known
  const db = await lake.duckdb()
  const tree = JSON.parse(await db.parseTree(sql)) as { error?: boolean }
  // The fallback depends on the lake's zones, which change: only DuckDB's own parse is kept.
  if (tree.error) return fallbackOccurrences(catalog, sql)
  const occurrences = tableOccurrences(tree)
  state.parses.set(sql, occurrences)
  return occurrences
}

/**
 * For statements DuckDB will not serialise (COPY, CREATE …, or a syntax error that running it
 * will report): `zone.table` names whose zone is a folder of the lake. Anything else (a struct
 * field `customer.name`) is left for DuckDB.
 */
async function fallbackOccurrences(catalog: LakeCatalog, sql: string): Promise<TableOccurrence[]> {
  const zones = new Set((await catalog.tables()).map((t) => t.zone))
  return findInCode(sql, new RegExp(NAME_REF, 'g'))
    .map((m) => ({ schema: unquoteIdentifier(m.groups[0]!), table: unquoteIdentifier(m.groups[1]!), catalog: '', constraints: [] }))
    .filter((o) => zones.has(o.schema))
}

/** The union of the files each use of the table needs (a use without filters needs them all). */
async function filesForUses(lake: LakeEngine, state: QueryState, snapshot: Snapshot, uses: TableOccurrence[]) {
  if (uses.some((u) => u.constraints.length === 0)) return snapshot.files
  const key = `${snapshotKey(snapshot)}\n${JSON.stringify(uses.map((u) => u.constraints))}`
  let paths = state.skips.get(key)
  if (!paths) {
    const db = await lake.duckdb()
    const needed = new Set<string>()
    for (const use of uses) for (const f of await filesMatching(db, snapshot, snapshot.files, use.constraints)) needed.add(f.path)
    paths = [...needed]
    state.skips.set(key, paths)
  }
  const needed = new Set(paths)
  return snapshot.files.filter((f) => needed.has(f.path))
}

/**
 * A snapshot's identity: its table, version and commit time (a table deleted and written again
 * at the same path starts again at version 0, at a later time).
 */
function snapshotKey(snapshot: Snapshot): string {
  return `${snapshot.table}@${snapshot.version}@${snapshot.timestamp}`
}

/**
 * The scan that replaces a table's references in the text (no view): the kept one when it reads
 * the same files, else registered anew. A view kept under the name is dropped, so nothing can
 * read it. Scans over temporary tables are dropped when the query ends, not kept.
 */
async function inlineScan(
  lake: LakeEngine,
  state: QueryState,
  view: string,
  key: string,
  snapshot: Snapshot,
  cleanup: (() => Promise<void>)[],
  options: { missingFilesReportedByCaller: boolean },
) {
  const db = await lake.duckdb()
  const cached = state.views.get(view)
  const reuse = cached?.key === key
  if (cached) {
    state.views.delete(view)
    if (!cached.inline) await db.run(`DROP VIEW IF EXISTS ${view}`)
    if (!reuse) await dropScan(db, cached.scan)
  }
  const scan = reuse ? cached.scan : await registerScan(db, lake.io.storage, planScan(snapshot), options)
  if (scan.temporaryTables.length > 0) cleanup.push(() => dropScan(db, scan))
  else state.views.set(view, { key, scan, inline: true })
  return scan
}

/** Points `view` at `next`'s scan, dropping what the view read before. */
async function replaceView(db: DuckDb, state: QueryState, view: string, next: CachedView, before = ''): Promise<void> {
  const previous = state.views.get(view)
  state.views.delete(view)
  await db.run(`${before}CREATE OR REPLACE VIEW ${view} AS SELECT * FROM ${next.scan.sql}`)
  state.views.set(view, next)
  if (previous) await dropScan(db, previous.scan)
}

async function dropView(db: DuckDb, state: QueryState, view: string): Promise<void> {
  const cached = state.views.get(view)
  state.views.delete(view)
  await db.run(`DROP VIEW IF EXISTS ${view}`)
  if (cached) await dropScan(db, cached.scan)
}

async function prepareDescribe(
  lake: LakeEngine,
  catalog: LakeCatalog,
  match: RegExpExecArray,
  cleanup: (() => Promise<void>)[],
  release: () => Promise<void>,
): Promise<PreparedQuery> {
  const db = await lake.duckdb()
  const ref = match[2].trim()
  const pathRef = /^delta\s*\.\s*`((?:[^`]|``)+)`$/i.exec(ref)
  const tablePath = pathRef
    ? path.resolve(catalog.lakeDir, pathRef[1].replaceAll('``', '`'))
    : (await catalog.resolve(ref.split('.').map(unquoteIdentifier).join('.'))).path
  const snapshot = await lake.snapshot(tablePath)
  const table =
    match[1].toUpperCase() === 'HISTORY'
      ? await describeHistory(lake, tablePath, match[3] === undefined ? undefined : Number(match[3]))
      : await describeDetail(lake, snapshot)
  cleanup.push(() => db.run(`DROP TABLE IF EXISTS ${table}`))
  return {
    sql: `SELECT * FROM ${table}`,
    tables: [{ name: ref, path: tablePath, version: snapshot.version, filesTotal: snapshot.files.length, filesRead: 0 }],
    release,
    inQueryText: (error) => error,
  }
}
