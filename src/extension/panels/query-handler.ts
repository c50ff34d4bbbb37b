/**
 * The query panel's host side: runs the panel's SQL in a QuerySession (one per panel, so each
 * panel's results live and die with it), serves pages of the current result, exports it and
 * copies to the clipboard. No `vscode` here: the glue passes the dialogs in.
 */
import { destructiveStatements, QueryCancelledError, type DestructiveStatement, type QueryResultInfo, type QuerySession, type WriteSummary } from '../../query'
import type { ExportFormat, JsonValue, QueryToHost, QueryToPanel, ResultInfo } from '../../../webview/shared/protocol'
import { queryToHost } from '../../../webview/shared/protocol'
import { routeMessages, type PanelHandler, type PanelLog } from './message-router'

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

export function createQueryHandler(deps: QueryHandlerDeps, init: QueryPanelInit, post: (message: QueryToPanel) => void): PanelHandler {
  const { session, log } = deps
  let current: ResultInfo | undefined
  let runOnReady = init.run === true

  const receive = routeMessages<QueryToHost>('query', queryToHost, {
    ready() {
      // A panel that was hidden and shown again reloads its page: give it back the result it showed.
      post({ type: 'init', sql: init.sql, run: runOnReady, ...(init.lake === undefined ? {} : { lake: init.lake }), restore: init.restore ?? {}, ...(current ? { resultId: current.id } : {}) })
      runOnReady = false
      if (current) post({ type: 'result', info: current })
    },
    async run({ sql }) {
      const destructive = destructiveStatements(sql)
      if (destructive.length && deps.confirmDestructive && !(await deps.confirmDestructive(destructive))) return post({ type: 'cancelled' })
      deps.onRun?.(sql)
      post({ type: 'running' })
      let info: QueryResultInfo
      try {
        info = await session.run(sql, { allowShortRetention: destructive.some((d) => d.shortRetention) })
      } catch (error) {
        if (error instanceof QueryCancelledError) return post({ type: 'cancelled' })
        throw error
      } finally {
        // A script that failed half-way may have committed its first statements.
        if (session.lastWrites.length) deps.onWrite?.(session.lastWrites)
      }
      const previous = current
      current = resultInfo(info)
      if (previous) await session.close(previous.id)
      log.info(`query panel: ${info.rowCount} rows in ${info.elapsedMs} ms`)
      post({ type: 'result', info: current })
    },
    cancel() {
      session.cancel()
    },
    async page({ requestId, resultId, offset, limit, sort }) {
      const page = await session.page(resultId, offset, limit, sort)
      const columns = (current?.id === resultId ? current.columns : []).map((c) => c.name)
      const names = columns.length ? columns : Object.keys(page.rows[0] ?? {})
      post({ type: 'page', requestId, resultId, offset, rows: page.rows.map((row) => names.map((name) => row[name] ?? null)), rowCount: page.rowCount })
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
  }, post, log)

  return {
    receive,
    async dispose() {
      session.cancel()
      await session.closeAll()
    },
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
    ...(info.writes.length ? {
      writes: info.writes.map((w) => ({
        table: w.table, operation: w.operation,
        ...(w.version === undefined ? {} : { version: w.version }), ...(w.rowsInserted ? { inserted: w.rowsInserted } : {}),
        ...(w.rowsUpdated ? { updated: w.rowsUpdated } : {}), ...(w.rowsDeleted ? { deleted: w.rowsDeleted } : {}),
      })),
    } : {}),
  }
}
