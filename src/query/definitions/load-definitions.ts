/**
 * A pipeline's SQL definitions: the `.sql` files its `definitions` globs name (relative to the
 * pipeline file), parsed and checked together with its JSON sources and flows: every table a
 * definition reads is made by the pipeline or exists in the lake, each table is defined once,
 * a STREAMING TABLE streams only from tables that are appended to (not a view, not a table a cdc
 * flow updates), and the datasets form no cycle. Problems are DefinitionErrors at file:line:column.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import type { FlowSpec, Pipeline } from '../../pipeline'
import type { Transform } from '../../transform'
import { tokenize } from '../statements/tokens'
import type { AppendFlow, AutoCdcFlow, Definition, MaterializedView, StreamingTable, TableReference } from './ast'
import { batchQuery, definitionError, type DefinitionError, parseDefinitions } from './parse-definitions'

export interface LoadedDefinitions {
  definitions: Definition[]
  views: MaterializedView[]
  streamingTables: StreamingTable[]
  /** The append and cdc flows the streaming tables and flows map onto (run like the pipeline file's flows). */
  flows: FlowSpec[]
  /** Materialized views in refresh order: each after every view it reads. */
  refreshOrder: string[]
  /** The definition files read, and their texts (for line:column of each definition). */
  files: string[]
  texts: Map<string, string>
}

/** `**` any folders, `*` and `?` within a name. */
function globPattern(glob: string): RegExp {
  let pattern = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    if (c === '*' && glob[i + 1] === '*') {
      pattern += glob[i + 2] === '/' ? '(?:.*/)?' : '.*'
      i += glob[i + 2] === '/' ? 2 : 1
    } else if (c === '*') pattern += '[^/]*'
    else if (c === '?') pattern += '[^/]'
    else pattern += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${pattern}$`)
}

/** Files under `root` (not in dot folders, node_modules or the lake) whose path relative to it matches. */
export function expandGlobs(root: string, globs: string[], skip: string[] = []): string[] {
  const found = new Set<string>()
  const patterns = globs.map((g) => globPattern(g.replace(/^\.\//, '')))
  const walk = (dir: string) => {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const name of names.sort()) {
      const full = path.join(dir, name)
      if (name.startsWith('.') || name === 'node_modules' || skip.includes(full)) continue
      let isDir = false
      try {
        isDir = statSync(full).isDirectory()
      } catch {
        continue
      }
      if (isDir) walk(full)
      else {
        const relative = path.relative(root, full).split(path.sep).join('/')
        if (patterns.some((p) => p.test(relative))) found.add(full)
      }
    }
  }
  walk(root)
  return [...found]
}

export interface LoadOptions {
  /** Tables already in the lake (`zone.table`): a definition may read them though the pipeline does not make them. */
  existingTables?: Iterable<string>
}

export function loadDefinitions(pipeline: Pipeline & { definitions?: string[] }, options: LoadOptions = {}): LoadedDefinitions {
  const root = path.dirname(pipeline.file)
  const files = expandGlobs(root, pipeline.definitions ?? [], [pipeline.lakeDir])
  const texts = new Map<string, string>()
  const definitions: Definition[] = []
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    texts.set(file, text)
    definitions.push(...parseDefinitions(file, text))
  }
  const fail = (d: { file: string }, offset: number, problem: string): DefinitionError => definitionError(d.file, texts.get(d.file)!, offset, problem)
  return { ...checkDefinitions(pipeline, definitions, files, fail, options), texts }
}

/** What writes each table: a source, a JSON flow, or a definition. */
interface Writer {
  kind: 'source' | 'flow' | 'cdcFlow' | 'view' | 'streamingTable'
  name: string
}

function checkDefinitions(
  pipeline: Pipeline,
  definitions: Definition[],
  files: string[],
  fail: (d: { file: string }, offset: number, problem: string) => DefinitionError,
  options: LoadOptions,
): Omit<LoadedDefinitions, 'texts'> {
  const writers = new Map<string, Writer>()
  for (const source of pipeline.sources) writers.set(source.table, { kind: 'source', name: source.name })
  for (const flow of pipeline.flows ?? []) writers.set(flow.to, { kind: flow.mode === 'cdc' ? 'cdcFlow' : 'flow', name: flow.name })
  const views = definitions.filter((d): d is MaterializedView => d.kind === 'materializedView')
  const streamingTables = definitions.filter((d): d is StreamingTable => d.kind === 'streamingTable')
  const flows = definitions.filter((d): d is AppendFlow | AutoCdcFlow => d.kind === 'appendFlow' || d.kind === 'autoCdcFlow')
  for (const d of [...views, ...streamingTables]) {
    const other = writers.get(d.name)
    if (other)
      throw fail(
        d,
        d.offset,
        `${d.name} is already defined (${other.kind === 'source' ? `the raw table of source '${other.name}'` : other.kind === 'view' || other.kind === 'streamingTable' ? `${other.name}` : `written by flow '${other.name}' of ${pipeline.file}`})`,
      )
    writers.set(d.name, {
      kind: d.kind === 'materializedView' ? 'view' : 'streamingTable',
      name: `the ${d.kind === 'materializedView' ? 'MATERIALIZED VIEW' : 'STREAMING TABLE'} of ${d.file}`,
    })
  }
  const flowNames = new Set((pipeline.flows ?? []).map((f) => f.name))
  for (const f of flows) {
    if (flowNames.has(f.name)) throw fail(f, f.offset, `flow name '${f.name}' is already used`)
    flowNames.add(f.name)
    const target = writers.get(f.target)
    if (target?.kind !== 'streamingTable')
      throw fail(
        f,
        f.offset,
        `flow '${f.name}' writes ${f.target}, which is not a STREAMING TABLE of the definitions: declare it with CREATE STREAMING TABLE ${f.target}`,
      )
  }
  const cdcTargets = new Set(flows.filter((f) => f.kind === 'autoCdcFlow').map((f) => f.target))
  for (const table of streamingTables) {
    const failing = table.expectations.find((e) => e.onViolation === 'fail')
    if (failing && cdcTargets.has(table.name))
      throw fail(
        table,
        failing.condition.offset + table.offset,
        `expectation '${failing.name}': ON VIOLATION FAIL UPDATE is not supported on a table AUTO CDC writes (DROP ROW and plain expectations are)`,
      )
  }
  for (const table of cdcTargets) {
    if (flows.filter((f) => f.target === table).length > 1) {
      const second = flows.filter((f) => f.target === table)[1]
      throw fail(second, second.offset, `${table} is written by an AUTO CDC flow: it takes no other flow`)
    }
  }

  // Every table read exists (made by the pipeline, or in the lake); streams read appended tables only.
  const existing = new Set(options.existingTables ?? [])
  const updatedBy = (table: string): string | undefined => {
    const writer = writers.get(table)
    if (writer?.kind === 'cdcFlow') return `the cdc flow '${writer.name}' updates and deletes its rows`
    if (writer?.kind === 'view') return 'it is a MATERIALIZED VIEW (recomputed, not appended to)'
    if (cdcTargets.has(table)) return 'an AUTO CDC flow updates and deletes its rows'
    return undefined
  }
  for (const d of definitions) {
    for (const read of d.reads) {
      if (read.table === ('name' in d ? d.name : '')) throw fail(d, read.offset, `${read.table} cannot read itself`)
      if (!writers.has(read.table) && !existing.has(read.table)) {
        const known = [...new Set([...writers.keys(), ...existing])].sort()
        throw fail(
          d,
          read.offset,
          `unknown table ${read.table}: the pipeline does not make it and the lake does not have it (tables: ${known.join(', ') || 'none'})`,
        )
      }
      if (read.stream && d.kind !== 'autoCdcFlow') {
        const why = updatedBy(read.table)
        if (why)
          throw fail(
            d,
            read.offset,
            `STREAM(${read.table}) is not a streaming source: ${why}. Read it without STREAM in a MATERIALIZED VIEW, or with AUTO CDC … FROM STREAM(${read.table})`,
          )
      }
      if (read.stream && d.kind === 'materializedView')
        throw fail(d, read.offset, `a MATERIALIZED VIEW reads tables whole: write ${read.table} without STREAM (or define a STREAMING TABLE)`)
      if (read.stream && d.kind === 'autoCdcFlow' && writers.get(read.table)?.kind === 'view')
        throw fail(d, read.offset, `STREAM(${read.table}) is not a streaming source: it is a MATERIALIZED VIEW`)
    }
    if ((d.kind === 'streamingTable' && d.query) || d.kind === 'appendFlow') {
      const streams = d.reads.filter((r) => r.stream)
      if (streams.length !== 1)
        throw fail(
          d,
          d.offset,
          streams.length === 0
            ? 'a streaming table or flow reads one source as STREAM(zone.table)'
            : `one STREAM source per flow (found ${streams.map((s) => s.table).join(', ')}): write one CREATE FLOW … INSERT INTO per source`,
        )
    }
  }

  const refreshOrder = viewOrder(views, fail)
  return { definitions, views, streamingTables, flows: flowSpecs(definitions), refreshOrder, files }
}

/** Views after the views they read; a cycle is an error naming the views around it. */
function viewOrder(views: MaterializedView[], fail: (d: { file: string }, offset: number, problem: string) => DefinitionError): string[] {
  const byName = new Map(views.map((v) => [v.name, v]))
  const order: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (view: MaterializedView, path: string[]) => {
    if (state.get(view.name) === 'done') return
    if (state.get(view.name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(view.name)), view.name]
      throw fail(view, view.offset, `the definitions form a cycle: ${cycle.join(' → ')}`)
    }
    state.set(view.name, 'visiting')
    for (const read of view.reads) {
      const upstream = byName.get(read.table)
      if (upstream) visit(upstream, [...path, view.name])
    }
    state.set(view.name, 'done')
    order.push(view.name)
  }
  for (const view of views) visit(view, [])
  return order
}

/**
 * A streaming table's expectations, as steps after the flow's own: DROP ROW filters the rows out,
 * FAIL UPDATE stops the batch (nothing written) at the first row that fails. Plain expectations
 * are not counted for streaming tables.
 */
function expectationSteps(table: StreamingTable | undefined): Transform[] {
  const steps: Transform[] = []
  for (const e of table?.expectations ?? []) {
    const holds = `coalesce((${e.condition.sql}), false)`
    if (e.onViolation === 'drop') steps.push({ op: 'filter', where: holds })
    if (e.onViolation === 'fail') {
      const message = `${table!.name}: expectation '${e.name}' (${e.condition.text}) failed; ON VIOLATION FAIL UPDATE: nothing was written`
      steps.push({
        op: 'sql',
        query: `SELECT * FROM batch WHERE CASE WHEN ${holds} THEN true ELSE error(${sqlString(message)} || ': ' || to_json(batch)::VARCHAR) END`,
      })
    }
  }
  return steps
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/** Streaming tables with a query and CREATE FLOWs become the append and cdc flows of refine. */
function flowSpecs(definitions: Definition[]): FlowSpec[] {
  const specs: FlowSpec[] = []
  const tables = new Map(definitions.filter((d): d is StreamingTable => d.kind === 'streamingTable').map((t) => [t.name, t]))
  for (const d of definitions) {
    if (d.kind === 'streamingTable' && d.query) specs.push(appendSpec(d.name, d.name, d.query, d, expectationSteps(d)))
    else if (d.kind === 'appendFlow') specs.push(appendSpec(d.name, d.target, d.query, d, expectationSteps(tables.get(d.target))))
    else if (d.kind === 'autoCdcFlow') {
      const keep = d.columns?.except
        ? `SELECT * EXCLUDE (${d.columns.except.map(quote).join(', ')}) FROM batch`
        : d.columns?.only
          ? `SELECT COLUMNS(c -> list_contains([${[...d.columns.only, ...d.keys].map((c) => `'${c.replaceAll("'", "''")}'`).join(', ')}], c) OR c LIKE '\\_\\_%' ESCAPE '\\') FROM batch`
          : undefined
      specs.push({
        name: d.name,
        from: d.source.table,
        to: d.target,
        mode: 'cdc',
        key: d.keys,
        sequenceBy: d.sequenceBy.sql,
        scd: d.scd,
        ...(d.deleteWhen ? { deleteWhen: d.deleteWhen.sql } : {}),
        ...(d.truncateWhen ? { truncateWhen: d.truncateWhen.sql } : {}),
        // In a cdc flow deletes skip the filters (DROP ROW applies to upserts); FAIL UPDATE is refused at load.
        transforms: [...(keep ? [{ op: 'sql' as const, query: keep }] : []), ...expectationSteps(tables.get(d.target))],
      })
    }
  }
  return specs
}

function appendSpec(
  name: string,
  target: string,
  query: { sql: string; text: string; offset: number },
  d: StreamingTable | AppendFlow,
  checks: Transform[],
): FlowSpec {
  const source = (d.reads.find((r) => r.stream) as TableReference).table
  const sql = batchQuery(query, tokenize(d.text), source)
  return { name, from: source, to: target, mode: 'append', transforms: [{ op: 'sql', query: sql }, ...checks] }
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
