/**
 * The query panel's host side: runs the panel's SQL in a QuerySession (one per panel, so each
 * panel's results live and die with it), serves pages of the current result, exports it and
 * copies to the clipboard. No `vscode` here: the glue passes the dialogs in.
 */
import {
  destructiveStatements,
  parseScript,
  QueryCancelledError,
  type DestructiveStatement,
  type QueryResultInfo,
  type QuerySession,
  type ScriptStatement,
  type WriteSummary,
} from '../../query'
import type { ExportFormat, JsonValue, QueryToHost, QueryToPanel, ResultInfo, SortOrder, StatementOutcome } from '../../../webview/shared/protocol'
import { QUERY_PAGE_ROWS, queryToHost } from '../../../webview/shared/protocol'
import { errorText, routeMessages, type PanelHandler, type PanelLog } from './message-router'
import type { SourceLookup } from './row-source'
import { ExtensionError } from '../errors'

export interface QueryHandlerDeps {
  session: QuerySession
  /** Where to write an export (the save dialog); undefined when the user cancels. */
  chooseExportFile(format: ExportFormat): Promise<string | undefined>
  copyToClipboard(text: string): Promise<void>
  log: PanelLog
  /** A query starts running (the glue names the tab after it). */
  onRun?(sql: string): void
  /** Asks the user before statements that destroy data or history run (a modal); false: do not run. */
  confirmDestructive?(statements: DestructiveStatement[]): Promise<boolean>
  /** Statements changed tables (the glue refreshes the Lake view and open panels). */
  onWrite?(writes: WriteSummary[]): void
  /** Open the Changes panel on versions from..to of the table (a write's link). */
  openChanges?(table: string, from: number, to: number): void
  /** "Show source": the lineage of a row, and opening one of its messages in the topic panel. */
  source?: SourceLookup
}

/** Matching rows a find sends at most (the count says how many there are). */
const FIND_ROWS_MAX = 10_000

/** What the panel opens with: SQL to show, and whether to run it at once. */
export interface QueryPanelInit {
  sql?: string
  run?: boolean
  /** The lake folder the panel queries (shown). */
  lake?: string
  /** What reopens the panel after a reload (see the protocol's `restore`). */
  restore?: Record<string, JsonValue>
}

/**
 * The handler is made as the panel opens, while VS Code is still loading its page: SQL to run at
 * once starts running then, not when the page asks, and what it answers waits for the page's
 * `ready` (the page has no listener before). The result comes with its first page of rows, so the
 * page paints them without asking.
 */
export function createQueryHandler(deps: QueryHandlerDeps, init: QueryPanelInit, post: (message: QueryToPanel) => void): PanelHandler {
  const { session, log } = deps
  /** What the panel shows: one result, or a script's outcome per statement (each with its own result). */
  let shown: { kind: 'result'; info: ResultInfo } | { kind: 'script'; statements: StatementOutcome[] } | undefined
  /** Messages of the run started with the panel, held until its page first says `ready`. */
  let held: QueryToPanel[] | undefined = []
  const send = (message: QueryToPanel): void => {
    if (held) held.push(message)
    else post(message)
  }
  /** A cancel while a script is between two statements (nothing for the session to interrupt). */
  let scriptCancelled = false

  const heldResults = (): ResultInfo[] => (!shown ? [] : shown.kind === 'result' ? [shown.info] : shown.statements.flatMap((s) => (s.info ? [s.info] : [])))

  /** The new results replace the ones shown, which the session then drops. */
  const replaceShown = async (next: NonNullable<typeof shown>) => {
    const previous = heldResults()
    shown = next
    const kept = new Set(heldResults().map((r) => r.id))
    for (const r of previous) if (!kept.has(r.id)) await session.close(r.id)
  }

  /**
   * Each statement of a script as its own run, so each has its own result the panel can show and
   * page; writes commit as they go; the first error (or a cancel) stops the script there.
   */
  const runStatements = async (statements: ScriptStatement[], allowShortRetention: boolean) => {
    scriptCancelled = false
    const outcomes: StatementOutcome[] = statements.map((s) => ({ text: s.text, position: s.position }))
    const started = performance.now()
    for (const [index, statement] of statements.entries()) {
      try {
        if (scriptCancelled) throw new QueryCancelledError()
        outcomes[index] = { ...outcomes[index], info: resultInfo(await session.run(statement.text, { allowShortRetention })) }
      } catch (error) {
        const cancelled = error instanceof QueryCancelledError
        if (cancelled && index === 0) return send({ type: 'cancelled' })
        outcomes[index] = { ...outcomes[index], error: cancelled ? 'cancelled' : errorText(error) }
        break
      } finally {
        if (session.lastWrites.length) deps.onWrite?.(session.lastWrites)
      }
      if (index < statements.length - 1) send({ type: 'script', statements: outcomes, done: false })
    }
    await replaceShown({ kind: 'script', statements: outcomes })
    const failed = outcomes.findIndex((o) => o.error !== undefined)
    log.info(
      `query panel: ${failed < 0 ? statements.length : failed} of ${statements.length} statements in ${Math.round(performance.now() - started)} ms${failed < 0 ? '' : ` (statement ${failed + 1} failed at ${outcomes[failed].position})`}`,
    )
    send({ type: 'script', statements: outcomes, done: true })
  }

  /** The rows of a page as arrays in the result's column order. */
  const pageRows = async (resultId: string, offset: number, limit: number, sort?: SortOrder) => {
    const page = await session.page(resultId, offset, limit, sort)
    const columns = (heldResults().find((r) => r.id === resultId)?.columns ?? []).map((c) => c.name)
    const names = columns.length ? columns : Object.keys(page.rows[0] ?? {})
    return { rows: page.rows.map((row) => names.map((name) => row[name] ?? null)), rowCount: page.rowCount }
  }

  const run = async (sql: string) => {
    const destructive = destructiveStatements(sql)
    if (destructive.length && deps.confirmDestructive && !(await deps.confirmDestructive(destructive))) return send({ type: 'cancelled' })
    deps.onRun?.(sql)
    send({ type: 'running' })
    const allowShortRetention = destructive.some((d) => d.shortRetention)
    const statements = statementsOrNothing(sql)
    if (statements && statements.length > 1) return runStatements(statements, allowShortRetention)
    let info: QueryResultInfo
    try {
      info = await session.run(sql, { allowShortRetention })
    } catch (error) {
      if (error instanceof QueryCancelledError) return send({ type: 'cancelled' })
      throw error
    } finally {
      if (session.lastWrites.length) deps.onWrite?.(session.lastWrites)
    }
    const current = resultInfo(info)
    await replaceShown({ kind: 'result', info: current })
    log.info(`query panel: ${info.rowCount} rows in ${info.elapsedMs} ms`)
    const firstPage = info.rowCount > 0 ? (await pageRows(current.id, 0, Math.min(QUERY_PAGE_ROWS, info.rowCount))).rows : undefined
    send({ type: 'result', info: current, ...(firstPage ? { firstPage } : {}) })
  }
  // Started now, answered once the page is ready; a failure is the panel's to show, like a run's.
  if (init.run === true && init.sql?.trim()) {
    run(init.sql).catch((error: unknown) => {
      log.error(`query panel: the run it opened with failed: ${errorText(error)}`)
      send({ type: 'error', message: errorText(error) })
    })
  }

  const receive = routeMessages<QueryToHost>(
    'query',
    queryToHost,
    {
      ready() {
        const results = heldResults()
        post({
          type: 'init',
          sql: init.sql,
          // The run asked for was started with the panel (its answers follow).
          run: false,
          ...(init.lake === undefined ? {} : { lake: init.lake }),
          restore: init.restore ?? {},
          ...(shown?.kind === 'result' ? { resultId: shown.info.id } : {}),
          ...(results.length ? { resultIds: results.map((r) => r.id) } : {}),
        })
        if (held) {
          // The page's first load: what the run started with the panel said so far.
          for (const message of held) post(message)
          held = undefined
          return
        }
        // A page loaded again (a reload): give it back what it showed.
        if (shown?.kind === 'result') post({ type: 'result', info: shown.info })
        if (shown?.kind === 'script') post({ type: 'script', statements: shown.statements, done: true })
      },
      run: ({ sql }) => run(sql),
      cancel() {
        scriptCancelled = true
        session.cancel()
      },
      async showSource({ requestId, resultId, columns, values }) {
        if (!deps.source) throw new ExtensionError("Show source needs the workspace's pipeline files")
        // The result's tables as the query named them: `raw.orders`, `raw.orders@v3` (time travel: the row as of v3).
        const read = (heldResults().find((r) => r.id === resultId)?.tables ?? []).flatMap((t) => {
          const named = /^([A-Za-z0-9_]+\.[A-Za-z0-9_]+)(?:@v(\d+))?$/.exec(t.name)
          return named ? [{ table: named[1], version: named[2] === undefined ? undefined : Number(named[2]) }] : []
        })
        const version = read.length === 1 ? read[0].version : undefined
        post({
          type: 'source',
          requestId,
          ...(await deps.source.trace({ tables: read.map((t) => t.table), columns, values, ...(version === undefined ? {} : { version }) })),
        })
      },
      openMessage(message) {
        deps.source?.openMessage(message)
      },
      async page({ requestId, resultId, offset, limit, sort }) {
        post({ type: 'page', requestId, resultId, offset, ...(await pageRows(resultId, offset, limit, sort)) })
      },
      async export({ resultId, format, sort }) {
        const file = await deps.chooseExportFile(format)
        if (file === undefined) return post({ type: 'exportCancelled' })
        const written = await session.export(resultId, file, format, { sort })
        log.info(`query panel: exported ${written.rows} rows to ${file}`)
        post({ type: 'exported', file, format, rows: written.rows, bytes: written.bytes })
      },
      async copy({ text }) {
        await deps.copyToClipboard(text)
      },
      async find({ requestId, resultId, text, sort }) {
        const found = await session.find(resultId, text, { sort, limit: FIND_ROWS_MAX })
        post({ type: 'found', requestId, resultId, count: found.count, rows: found.rows })
      },
      showChanges({ table, version }) {
        deps.openChanges?.(table, version, version)
      },
    },
    post,
    log,
  )

  return {
    receive,
    async dispose() {
      session.cancel()
      await session.closeAll()
    },
  }
}

/** The statements of a text; nothing when it does not parse (running it reports where). */
function statementsOrNothing(sql: string): ScriptStatement[] | undefined {
  try {
    return parseScript(sql)
  } catch {
    return undefined
  }
}

/** The session's result info in the protocol's shape (exactly its fields: the panel checks strictly). */
function resultInfo(info: QueryResultInfo): ResultInfo {
  return {
    id: info.id,
    columns: info.columns.map((c) => ({ name: c.name, type: c.type })),
    rowCount: info.rowCount,
    elapsedMs: info.elapsedMs,
    tables: info.tables.map((t) => ({ name: t.name, version: Math.max(0, t.version), filesRead: t.filesRead, filesTotal: t.filesTotal })),
    ...(info.writes.length
      ? {
          writes: info.writes.map((w) => ({
            table: w.table,
            operation: w.operation,
            ...(w.version === undefined ? {} : { version: w.version }),
            ...(w.rowsInserted ? { inserted: w.rowsInserted } : {}),
            ...(w.rowsUpdated ? { updated: w.rowsUpdated } : {}),
            ...(w.rowsDeleted ? { deleted: w.rowsDeleted } : {}),
          })),
        }
      : {}),
  }
}
