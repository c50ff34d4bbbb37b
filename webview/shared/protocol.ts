/**
 * The one message protocol between the extension host and the panels. Both sides validate every
 * message they receive with these validators (a panel's data is untrusted by the host, and the
 * host's data, which comes from tables and Kafka payloads, is untrusted text to the panel).
 * Requests that expect an answer carry a `requestId` that the answer repeats, so a panel can drop
 * answers it no longer needs (a page of a result it has since replaced).
 *
 * No engine or `vscode` imports: this file is bundled into the browser and imported by the host.
 */
import {
  array,
  boolean,
  count,
  finite,
  integer,
  jsonValue,
  lazy,
  literal,
  nullable,
  object,
  optional,
  record,
  string,
  text,
  union,
  type Infer,
  type Validator,
} from './validate'
import { openMessageRequest, showSourceRequest, sourceAnswer } from './source-protocol'

export type { JsonValue } from './validate'
export type { OpenMessageRequest, SourceAnswer, SourceOrigin, SourceRow } from './source-protocol'

export const PANEL_KINDS = ['query', 'history', 'changes', 'topic', 'dead-letters', 'graph'] as const
export type PanelKind = (typeof PANEL_KINDS)[number]

const requestId = integer(0)
const name = text(1024)
const sqlText = text(1_000_000)
const column = object({ name, type: text(4096) })
export type Column = Infer<typeof column>

/** Any panel: the host reports a failure; `requestId` names the request it answers, when it does. */
const errorMessage = object({ type: literal('error'), message: string, requestId: optional(requestId) })
/** Any panel: the panel's script is running and listening; the host answers with its first data. */
const ready = object({ type: literal('ready') })
/**
 * In each panel's first answer: what reopens the panel (the command's arguments). The panel keeps
 * it in its saved state, from which VS Code's serializer restores the panel after a reload.
 */
const restore = record(jsonValue)

// ---------------------------------------------------------------------------------------------
// Query panel

export const PAGE_LIMIT_MAX = 1000
/** Rows in a page of the query panel's grid; a result comes with its first page of this size. */
export const QUERY_PAGE_ROWS = 200
export const EXPORT_FORMATS = ['csv', 'parquet', 'jsonl'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

const sortOrder = object({ column: name, direction: literal('asc', 'desc') })
export type SortOrder = Infer<typeof sortOrder>

export const resultInfo = object({
  id: name,
  columns: array(column),
  rowCount: count,
  elapsedMs: finite,
  tables: array(object({ name: text(4096), version: count, filesRead: count, filesTotal: count })),
  /** What the text's writing statements did, in order: the table, the commit's operation, its new version and row counts. */
  writes: optional(
    array(
      object({
        table: text(4096),
        operation: name,
        version: optional(count),
        inserted: optional(count),
        updated: optional(count),
        deleted: optional(count),
      }),
    ),
  ),
})
export type ResultInfo = Infer<typeof resultInfo>

/**
 * One statement of a text of several run in order ("Run file"): its text and where it starts
 * (`line:column` in the text run), then its result, or the error that stopped the run there;
 * neither when an earlier statement failed (it did not run).
 */
export const statementOutcome = object({ text: sqlText, position: text(64), info: optional(resultInfo), error: optional(string) })
export type StatementOutcome = Infer<typeof statementOutcome>

export const queryToHost = union({
  ready,
  run: object({ type: literal('run'), sql: sqlText }),
  cancel: object({ type: literal('cancel') }),
  page: object({ type: literal('page'), requestId, resultId: name, offset: count, limit: integer(1, PAGE_LIMIT_MAX), sort: optional(sortOrder) }),
  export: object({ type: literal('export'), resultId: name, format: literal(...EXPORT_FORMATS), sort: optional(sortOrder) }),
  copy: object({ type: literal('copy'), text: string }),
  /** Find `text` in the whole result (in `sort`'s order): answered by `found`. */
  find: object({ type: literal('find'), requestId, resultId: name, text: text(10_000), sort: optional(sortOrder) }),
  /** Open the Changes panel on the commit a write of the last run made (see ResultInfo.writes). */
  showChanges: object({ type: literal('showChanges'), table: text(4096), version: count }),
  /** Trace a row of a result to its messages (`resultId` names the result, whose tables the host knows): answered by `source`. */
  showSource: showSourceRequest,
  openMessage: openMessageRequest,
})

export const queryToPanel = union({
  error: errorMessage,
  /** The SQL to show (and run at once when `run`), e.g. from "query this version" in the history. */
  init: object({
    type: literal('init'),
    sql: optional(sqlText),
    run: boolean,
    lake: optional(text(4096)),
    restore,
    /** The result the host still holds for this panel, if any (a `result` message follows): a panel showing another one from its cache drops it. */
    resultId: optional(name),
    /** Every result the host still holds for this panel (a script's, one per statement). */
    resultIds: optional(array(name)),
  }),
  running: object({ type: literal('running') }),
  /** `firstPage`: the result's first rows (up to QUERY_PAGE_ROWS), so the grid paints without asking. */
  result: object({ type: literal('result'), info: resultInfo, firstPage: optional(array(array(jsonValue), QUERY_PAGE_ROWS)) }),
  /** A text of several statements: each one's outcome so far (sent after each statement; `done` after the last or the first error). */
  script: object({ type: literal('script'), statements: array(statementOutcome), done: boolean }),
  cancelled: object({ type: literal('cancelled') }),
  /** Rows as arrays in the result's column order (smaller than objects, and a column may be called anything). */
  page: object({ type: literal('page'), requestId, resultId: name, offset: count, rows: array(array(jsonValue)), rowCount: count }),
  exported: object({ type: literal('exported'), file: string, format: literal(...EXPORT_FORMATS), rows: count, bytes: count }),
  /** An export the user cancelled in the save dialog. */
  exportCancelled: object({ type: literal('exportCancelled') }),
  /** Rows containing the text of `find`: how many in all, and the first ones' positions. */
  found: object({ type: literal('found'), requestId, resultId: name, count, rows: array(count, 10_000) }),
  source: sourceAnswer,
})

// ---------------------------------------------------------------------------------------------
// History panel

const historyEntry = object({
  version: count,
  /** ms since the epoch */
  timestamp: finite,
  operation: name,
  operationParameters: record(jsonValue),
  operationMetrics: record(jsonValue),
  engineInfo: optional(text(4096)),
  readVersion: optional(count),
  isBlindAppend: optional(boolean),
  /** Actions in the commit by kind (`add`, `remove`, `cdc`, …). */
  actionCounts: record(count),
})
export type HistoryEntry = Infer<typeof historyEntry>

export const historyToHost = union({
  ready,
  refresh: object({ type: literal('refresh') }),
  /** Open the query panel on `SELECT * FROM table VERSION AS OF version`. */
  queryVersion: object({ type: literal('queryVersion'), version: count }),
  /** Open the change panel on versions from..to (from = to: one commit against its parent). */
  showChanges: object({ type: literal('showChanges'), from: count, to: count }),
})

export const historyToPanel = union({
  error: errorMessage,
  history: object({ type: literal('history'), table: name, entries: array(historyEntry), restore }),
})

// ---------------------------------------------------------------------------------------------
// Change (CDF diff) panel

export const CHANGE_TYPES = ['insert', 'delete', 'update_preimage', 'update_postimage'] as const
export type ChangeType = (typeof CHANGE_TYPES)[number]

const changeRow = object({
  changeType: literal(...CHANGE_TYPES),
  version: count,
  /** The table's columns, in `columns` order. */
  values: array(jsonValue),
})
export type ChangeRow = Infer<typeof changeRow>

const commitSummary = object({
  version: count,
  timestamp: finite,
  operation: name,
  operationParameters: record(jsonValue),
  operationMetrics: record(jsonValue),
})
export type CommitSummary = Infer<typeof commitSummary>

export const changesToHost = union({
  ready,
  /**
   * Changes of versions from..to, optionally only the rows whose `keyColumn` equals `keyValue` (as
   * text); one page of them from `offset` (default 0), at most `limit` rows (default the host's
   * limit). A page may hold one row more than `limit` so an update's two images stay together.
   */
  load: object({
    type: literal('load'),
    requestId,
    from: count,
    to: count,
    keyColumn: optional(name),
    keyValue: optional(text(4096)),
    offset: optional(count),
    limit: optional(integer(1, PAGE_LIMIT_MAX)),
  }),
  /** Show another table of the lake (one of `init.tables`): the host answers with a new `init`. */
  table: object({ type: literal('table'), table: name }),
  /** Trace a change's row (as of its version) to its messages: answered by `source`. */
  showSource: showSourceRequest,
  openMessage: openMessageRequest,
})

export const changesToPanel = union({
  error: errorMessage,
  init: object({
    type: literal('init'),
    table: name,
    /** Versions still in the log, oldest first. */
    versions: array(object({ version: count, operation: name, timestamp: finite })),
    from: count,
    to: count,
    columns: array(column),
    /** A column that likely identifies a row (the pairing key for update images). */
    keyColumn: optional(name),
    restore,
    /** The lake's tables, for the table picker. */
    tables: optional(array(name)),
  }),
  changes: object({
    type: literal('changes'),
    requestId,
    from: count,
    to: count,
    counts: object({ insert: count, delete: count, update_preimage: count, update_postimage: count }),
    columns: array(column),
    rows: array(changeRow),
    /** More rows matched than were sent. */
    truncated: boolean,
    commits: array(commitSummary),
    /** The page: where it starts, and where the next one does (`offset` + rows sent). */
    offset: optional(count),
    next: optional(count),
    /** Rows matched in all (every page). */
    total: optional(count),
  }),
  source: sourceAnswer,
})

// ---------------------------------------------------------------------------------------------
// Topic panel

export interface SchemaNode {
  name: string
  type: string
  nullable: boolean
  /** The type comes from the source's schemaHints, not from the values. */
  hint?: boolean
  children: SchemaNode[]
}
const schemaNode: Validator<SchemaNode> = object({
  name,
  type: text(4096),
  nullable: boolean,
  hint: optional(boolean),
  children: array(lazy(() => schemaNode)),
})

/** A table's rows in the topic panel's preview (the raw row, a child table's rows). */
const previewTable = object({ table: name, columns: array(column), rows: array(array(jsonValue)) })

const messageSummary = object({
  index: count,
  key: nullable(string),
  partition: count,
  offset: text(32),
  /** ms since the epoch */
  timestamp: finite,
  headers: record(nullable(string)),
  /** Bytes in the value (0 for a tombstone). */
  size: count,
  /** The start of the value as text, for the list and the text filter. */
  preview: string,
  status: literal('row', 'tombstone', 'error'),
})
export type MessageSummary = Infer<typeof messageSummary>

const decodedValue = union({
  row: object({ type: literal('row'), value: jsonValue }),
  tombstone: object({ type: literal('tombstone') }),
  error: object({ type: literal('error'), reason: name, detail: optional(string) }),
})
export type DecodedValue = Infer<typeof decodedValue>

const partitionInfo = object({
  partition: count,
  /** Messages of the partition in the sample. */
  messages: count,
  firstOffset: text(32),
  lastOffset: text(32),
  /** From the broker: the oldest retained offset and the next offset to be written. */
  low: optional(text(32)),
  high: optional(text(32)),
  /** The pipeline consumer group's committed offset and the messages it has still to read. */
  committed: optional(text(32)),
  lag: optional(count),
})
export type PartitionInfo = Infer<typeof partitionInfo>

/** Where the schema shown comes from. */
const schemaSource = object({
  kind: literal('inferred', 'connect', 'registry'),
  /** A Connect schema's `name` (e.g. `server.shop.orders.Envelope`). */
  name: optional(text(4096)),
  /** Schema Registry: the schema id in the messages and, when the registry says, its subject and version. */
  id: optional(count),
  subject: optional(text(4096)),
  version: optional(count),
})
export type SchemaSource = Infer<typeof schemaSource>

/** A message to send (Produce, Produce again): the value is JSON text as typed, null for a tombstone; no partition: by key. */
const outgoingMessage = object({
  key: nullable(text(1_000_000)),
  headers: record(text(100_000)),
  value: nullable(text(5_000_000)),
  partition: optional(count),
})
export type OutgoingMessage = Infer<typeof outgoingMessage>

export const topicToHost = union({
  ready,
  reload: object({ type: literal('reload') }),
  select: object({ type: literal('select'), requestId, index: count }),
  /** Send a message to the topic (a dev cluster only): answered by `produced` and a fresh `topic`, or an error with the requestId. */
  produce: object({ type: literal('produce'), requestId, message: outgoingMessage }),
})

export const topicToPanel = union({
  error: errorMessage,
  /**
   * Whether Produce may write to the topic's cluster (a topic from a broker only): `refusal` says
   * why not and what to change. `registry` names the format whose schema encodes the value.
   */
  produceAccess: object({ type: literal('produceAccess'), allowed: boolean, refusal: optional(text(4096)), registry: optional(name) }),
  /** Where a produced message landed. */
  produced: object({ type: literal('produced'), requestId, partition: count, offset: text(32) }),
  topic: object({
    type: literal('topic'),
    source: string,
    format: name,
    partitions: array(partitionInfo),
    schema: array(schemaNode),
    schemaSource: optional(schemaSource),
    /** The pipeline consumer group's lag over all partitions, when the topic comes from a broker and a group has read it. */
    lag: optional(count),
    /** Where the messages come from: a capture file or a broker. */
    origin: optional(literal('file', 'kafka')),
    messages: array(messageSummary),
    /** The capture holds more messages than were sampled. */
    truncated: boolean,
    restore,
    /** Select this message (the panel was opened at it, from "Show source"). */
    select: optional(object({ partition: count, offset: text(32) })),
  }),
  message: object({
    type: literal('message'),
    requestId,
    index: count,
    /** The value as UTF-8 text when it is valid UTF-8. */
    text: nullable(string),
    /** The first bytes of the value in hex. */
    hex: string,
    decoded: decodedValue,
    /**
     * What the flow writes for this message, when the panel knows a flow: its target's rows (and
     * the raw row ingest writes, the child tables' rows, a note when it writes none), the dead
     * letter ingest writes instead, or why the jobs would fail.
     */
    flattened: optional(
      union({
        rows: object({
          type: literal('rows'),
          flow: optional(name),
          table: optional(name),
          columns: array(column),
          rows: array(array(jsonValue)),
          note: optional(text(4096)),
          raw: optional(previewTable),
          children: optional(array(previewTable)),
        }),
        'dead-letter': object({ type: literal('dead-letter'), reason: text(4096), detail: optional(string) }),
        error: object({ type: literal('error'), message: string }),
      }),
    ),
  }),
})

// ---------------------------------------------------------------------------------------------
// Dead Letters panel

export const LETTER_STATES = ['open', 'replayed', 'discarded', 'produced'] as const
export type LetterStateName = (typeof LETTER_STATES)[number]
const letterState = literal(...LETTER_STATES)
/** Which letters the panel lists: one state, or all. */
const stateFilter = literal(...LETTER_STATES, 'all')
export type LetterStateFilter = Infer<typeof stateFilter>
/** `source/topic/partition/offset`, as the CLI names a letter. */
const letterIdText = text(4096)
const timeText = text(64)

/** Letters of a source and reason in one state, with their messages' first and last time. */
const letterGroup = object({
  source: name,
  reason: name,
  state: letterState,
  letters: count,
  firstMessage: nullable(timeText),
  lastMessage: nullable(timeText),
})
export type LetterGroupInfo = Infer<typeof letterGroup>
/** Letters of a source and reason per hour of their messages' time (UTC), and how many of them are open. */
const letterHour = object({ source: name, reason: name, hour: timeText, letters: count, open: count })
export type LetterHourInfo = Infer<typeof letterHour>

const letterSummary = object({
  id: letterIdText,
  source: name,
  topic: name,
  partition: count,
  offset: text(32),
  timestamp: nullable(timeText),
  reason: name,
  detail: nullable(string),
  state: letterState,
  note: nullable(string),
  rawVersion: nullable(count),
  /** A produced letter's new message: `topic/partition/offset`. */
  producedTo: nullable(text(512)),
})
export type LetterSummary = Infer<typeof letterSummary>

/** Where decoding failed in the value's text: character, line and column, and up to 30 characters each side with the caret's place in them. */
const failurePosition = object({ at: count, line: integer(1), column: integer(1), context: string, caret: count })
export type FailurePositionInfo = Infer<typeof failurePosition>

/** A letter's value decoded now (with the pipeline file as it is, or with an edit). */
const letterDecoded = union({
  row: object({ type: literal('row'), value: jsonValue }),
  tombstone: object({ type: literal('tombstone') }),
  error: object({ type: literal('error'), reason: name, detail: optional(string) }),
})
export type LetterDecoded = Infer<typeof letterDecoded>

const letterDetail = object({
  summary: letterSummary,
  key: nullable(string),
  headers: record(nullable(string)),
  /** Bytes in the value; null for a null value. */
  size: nullable(count),
  /** The value as UTF-8 text without control characters, else null (see hex). */
  text: nullable(string),
  hex: nullable(string),
  position: optional(failurePosition),
  now: letterDecoded,
  /** The source's format; `registry`: an edited value is JSON, encoded with the topic's registry schema. */
  format: optional(name),
  registry: boolean,
})
export type LetterDetail = Infer<typeof letterDetail>

const note = text(10_000)
const patchText = text(1_000_000)
const valueText = text(10_000_000)

export const deadLettersToHost = union({
  ready,
  /** The groups, the hours and the letters in `state` (of one source and reason when given): answered by `letters`. */
  load: object({ type: literal('load'), requestId, state: stateFilter, source: optional(name), reason: optional(name) }),
  /** One letter whole: answered by `letter`. */
  show: object({ type: literal('show'), requestId, id: letterIdText }),
  /** What an edited value decodes to: answered by `preview`. */
  preview: object({ type: literal('preview'), requestId, id: letterIdText, value: valueText }),
  /** Replay one letter, with an edited value or as it is (the pipeline file as it is now): answered by `done`. */
  replay: object({ type: literal('replay'), id: letterIdText, value: optional(valueText) }),
  /** Produce one letter's edited value back to its topic (dev clusters only; the host asks first): answered by `done`. */
  produce: object({ type: literal('produce'), id: letterIdText, value: valueText }),
  /** Replay every open letter of a source and reason, each patched when `patch` (JSON Patch text) is given: answered by `done`. */
  replayGroup: object({ type: literal('replayGroup'), source: name, reason: name, patch: optional(patchText) }),
  /** Discard one letter, or every open letter of a source and reason, with a note (the host asks first): answered by `done`. */
  discard: object({ type: literal('discard'), id: optional(letterIdText), source: optional(name), reason: optional(name), note }),
})

export const deadLettersToPanel = union({
  error: errorMessage,
  init: object({
    type: literal('init'),
    /** The pipeline file (as the workspace names it) and the lake its sources write. */
    pipeline: text(4096),
    lake: text(4096),
    sources: array(name),
    /** Show this source's letters when the panel opens (from a source in the Pipelines view); a restored panel keeps its own choice. */
    source: optional(name),
    restore,
  }),
  letters: object({
    type: literal('letters'),
    requestId,
    state: stateFilter,
    source: optional(name),
    reason: optional(name),
    groups: array(letterGroup),
    hours: array(letterHour),
    letters: array(letterSummary),
    /** More letters matched than were sent. */
    truncated: boolean,
  }),
  letter: object({ type: literal('letter'), requestId, letter: letterDetail }),
  preview: object({ type: literal('preview'), requestId, id: letterIdText, now: letterDecoded }),
  /** An action finished (`changed`: letters changed state, so the panel loads again), or was cancelled. */
  done: object({ type: literal('done'), message: text(100_000), changed: boolean }),
  /** Letters changed outside the panel (an ingest, another panel): load again. */
  changed: object({ type: literal('changed') }),
  /** Opened again from a source: show its letters. */
  focus: object({ type: literal('focus'), source: name }),
})

// ---------------------------------------------------------------------------------------------
// Pipeline graph panel

export const GRAPH_NODE_KINDS = ['topic', 'file', 'table', 'flow', 'view', 'streamingTable'] as const
export const NODE_STATES = ['not started', 'running', 'up to date', 'stopped', 'failed'] as const
export type NodeState = (typeof NODE_STATES)[number]

const graphNode = object({
  /** `source:<name>`, `flow:<name>` or `table:<zone.table>`, as `lakehouse graph --format json` names them. */
  id: text(4200),
  kind: literal(...GRAPH_NODE_KINDS),
  label: text(4096),
  /** A job's state as the window saw its events; for a table nobody runs, "not started" until it exists. */
  state: optional(literal(...NODE_STATES)),
  error: optional(string),
  table: optional(text(4096)),
  exists: optional(boolean),
  version: optional(count),
  rows: optional(count),
  /** ms since the epoch */
  lastCommit: optional(finite),
  /** A view's last refresh: `incremental: <why>`, and when. */
  refresh: optional(text(100_000)),
  lastRefresh: optional(finite),
  expectations: optional(array(object({ name: text(4096), onViolation: literal('warn', 'drop', 'fail'), passed: count, failed: count }))),
  /** Where it is defined, for the eye: `sql/views.sql:12:1` or `lakehouse.json $.flows[0]`. */
  definedIn: optional(text(8192)),
})
export type GraphNode = Infer<typeof graphNode>

export const graphToHost = union({
  ready,
  refresh: object({ type: literal('refresh') }),
  /** Open a node's table in the query or history panel, or its definition in the editor. */
  open: object({ type: literal('open'), id: text(4200), target: literal('query', 'history', 'definition') }),
})

export const graphToPanel = union({
  error: errorMessage,
  graph: object({
    type: literal('graph'),
    /** The pipeline file, relative to the workspace. */
    pipeline: text(4096),
    nodes: array(graphNode, 10_000),
    edges: array(object({ from: text(4200), to: text(4200) }), 100_000),
    /** Why the SQL definitions are left out (a file that does not parse, a cycle): shown above the graph. */
    problem: optional(string),
    restore,
  }),
})

// ---------------------------------------------------------------------------------------------

export type QueryToHost = Infer<typeof queryToHost>
export type QueryToPanel = Infer<typeof queryToPanel>
export type HistoryToHost = Infer<typeof historyToHost>
export type HistoryToPanel = Infer<typeof historyToPanel>
export type ChangesToHost = Infer<typeof changesToHost>
export type ChangesToPanel = Infer<typeof changesToPanel>
export type TopicToHost = Infer<typeof topicToHost>
export type TopicToPanel = Infer<typeof topicToPanel>
export type GraphToHost = Infer<typeof graphToHost>
export type GraphToPanel = Infer<typeof graphToPanel>
export type DeadLettersToHost = Infer<typeof deadLettersToHost>
export type DeadLettersToPanel = Infer<typeof deadLettersToPanel>

/** Each panel's two directions, for code that handles every panel alike. */
export const PROTOCOL = {
  query: { toHost: queryToHost, toPanel: queryToPanel },
  history: { toHost: historyToHost, toPanel: historyToPanel },
  changes: { toHost: changesToHost, toPanel: changesToPanel },
  topic: { toHost: topicToHost, toPanel: topicToPanel },
  graph: { toHost: graphToHost, toPanel: graphToPanel },
  'dead-letters': { toHost: deadLettersToHost, toPanel: deadLettersToPanel },
} as const

export interface Messages {
  query: { toHost: QueryToHost; toPanel: QueryToPanel }
  history: { toHost: HistoryToHost; toPanel: HistoryToPanel }
  changes: { toHost: ChangesToHost; toPanel: ChangesToPanel }
  topic: { toHost: TopicToHost; toPanel: TopicToPanel }
  graph: { toHost: GraphToHost; toPanel: GraphToPanel }
  'dead-letters': { toHost: DeadLettersToHost; toPanel: DeadLettersToPanel }
}
