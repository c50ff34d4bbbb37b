/**
 * Filters that can skip files, read from DuckDB's own parse of the query
 * (`json_serialize_sql`): for every table reference directly in a SELECT's FROM (also through
 * joins), the top-level AND-ed conditions of that SELECT's WHERE that compare one of its columns
 * with a constant (=, <, <=, >, >=, IN, BETWEEN). These are null-rejecting, so dropping files that
 * cannot satisfy them never changes a result, even on the outer side of a join.
 */
import type { ColumnConstraint } from '../engine'
import { quoteString } from '../delta'

type Node = Record<string, unknown>

export interface TableOccurrence {
  schema: string
  table: string
  catalog: string
  /** Constraints that apply to this occurrence; empty = read every file. */
  constraints: ColumnConstraint[]
  /**
   * Where the reference starts in the SQL text (a UTF-8 byte offset, as DuckDB reports it) and
   * whether an alias follows it, when the reference can be replaced by a subquery there: not
   * with an AT clause, nor when a column is qualified by the table's full name (`raw.t.x`).
   */
  inline?: { location: number; aliased: boolean }
}

const COMPARISONS: Record<string, { op: '=' | '<' | '<=' | '>' | '>='; flipped: '=' | '<' | '<=' | '>' | '>=' }> = {
  COMPARE_EQUAL: { op: '=', flipped: '=' },
  COMPARE_LESSTHAN: { op: '<', flipped: '>' },
  COMPARE_LESSTHANOREQUALTO: { op: '<=', flipped: '>=' },
  COMPARE_GREATERTHAN: { op: '>', flipped: '<' },
  COMPARE_GREATERTHANOREQUALTO: { op: '>=', flipped: '<=' },
}

/** Every base-table occurrence in the parsed statements, with the constraints that apply to it. */
export function tableOccurrences(parsed: unknown): TableOccurrence[] {
  const found: TableOccurrence[] = []
  const claimed = new Set<Node>()
  const qualified = fullyQualifiedColumnTables(parsed)
  const described = describedTables(parsed)
  const inline = (node: Node): TableOccurrence['inline'] => {
    const location = node.query_location
    if (typeof location !== 'number' || location < 0 || location > Number.MAX_SAFE_INTEGER || node.at_clause || described.has(node)) return undefined
    if (qualified.has(`${node.schema_name}.${node.table_name}`.toLowerCase())) return undefined
    return { location, aliased: Boolean(node.alias) }
  }
  visit(parsed, (node) => {
    if (node.type !== 'SELECT_NODE') return
    const tables = fromTables(node.from_table as Node | undefined)
    const conjuncts = flattenAnd(node.where_clause as Node | undefined)
    for (const table of tables) {
      claimed.add(table)
      const alias = String(table.alias || table.table_name)
      const constraints = conjuncts.flatMap((c) => constraintOf(c, alias, tables.length === 1))
      found.push({
        schema: String(table.schema_name ?? ''),
        table: String(table.table_name),
        catalog: String(table.catalog_name ?? ''),
        constraints,
        inline: inline(table),
      })
    }
  })
  // Base tables anywhere else (other statement kinds): no constraints, every file.
  visit(parsed, (node) => {
    if (node.type === 'BASE_TABLE' && !claimed.has(node)) {
      found.push({
        schema: String(node.schema_name ?? ''),
        table: String(node.table_name),
        catalog: String(node.catalog_name ?? ''),
        constraints: [],
        inline: inline(node),
      })
    }
  })
  return found
}

/**
 * The tables that DESCRIBE, SHOW or SUMMARIZE name (their SHOW_REF): DuckDB's syntax wants a name
 * there, not a subquery, so they keep their view.
 */
function describedTables(parsed: unknown): Set<Node> {
  const tables = new Set<Node>()
  visit(parsed, (node) => {
    if (node.type === 'SHOW_REF') visit(node, (inner) => inner.type === 'BASE_TABLE' && tables.add(inner))
  })
  return tables
}

/** `schema.table` (lower case) of every column reference with three or more names (`raw.t.x`, `c.raw.t.x`). */
function fullyQualifiedColumnTables(parsed: unknown): Set<string> {
  const tables = new Set<string>()
  visit(parsed, (node) => {
    const names = node.class === 'COLUMN_REF' && Array.isArray(node.column_names) ? (node.column_names as unknown[]).map(String) : []
    for (let i = 0; i + 2 < names.length; i++) tables.add(`${names[i]}.${names[i + 1]}`.toLowerCase())
  })
  return tables
}

function visit(value: unknown, fn: (node: Node) => void): void {
  if (Array.isArray(value)) for (const item of value) visit(item, fn)
  else if (value && typeof value === 'object') {
    fn(value as Node)
    for (const child of Object.values(value)) visit(child, fn)
  }
}

/** Base tables reachable from a FROM through joins (not through subqueries: they have their own SELECT). */
function fromTables(from: Node | undefined): Node[] {
  if (!from) return []
  if (from.type === 'BASE_TABLE') return [from]
  if (from.type === 'JOIN') return [...fromTables(from.left as Node), ...fromTables(from.right as Node)]
  return []
}

function flattenAnd(node: Node | undefined): Node[] {
  if (!node) return []
  if (node.type === 'CONJUNCTION_AND') return (node.children as Node[]).flatMap(flattenAnd)
  return [node]
}

/** The column a COLUMN_REF names, if it belongs to the table with `alias`. */
function columnOf(node: Node, alias: string, onlyTable: boolean): string | undefined {
  if (node.class !== 'COLUMN_REF') return undefined
  const names = node.column_names as string[]
  if (names.length === 2 && names[0].toLowerCase() === alias.toLowerCase()) return names[1]
  if (names.length === 1 && onlyTable) return names[0]
  return undefined
}

/** A constant (or a cast of one) as a SQL literal expression. */
function literalOf(node: Node): string | undefined {
  if (node.class === 'CONSTANT') {
    const value = node.value as { type: { id: string; type_info: unknown }; is_null: boolean; value: unknown }
    if (value.is_null || value.type.type_info) return undefined
    if (typeof value.value === 'number' || typeof value.value === 'boolean') return `CAST(${String(value.value)} AS ${value.type.id})`
    if (typeof value.value === 'string') return `CAST(${quoteString(value.value)} AS ${value.type.id})`
    return undefined
  }
  if (node.class === 'CAST' && !node.try_cast) {
    const type = node.cast_type as { id: string; type_info: unknown }
    const inner = literalOf(node.child as Node)
    return inner && !type.type_info ? `CAST(${inner} AS ${type.id})` : undefined
  }
  return undefined
}

function constraintOf(node: Node, alias: string, onlyTable: boolean): ColumnConstraint[] {
  const comparison = COMPARISONS[String(node.type)]
  if (comparison && node.class === 'COMPARISON') {
    const left = node.left as Node
    const right = node.right as Node
    const column = columnOf(left, alias, onlyTable)
    const value = literalOf(right)
    if (column && value) return [{ column, op: comparison.op, value }]
    const flippedColumn = columnOf(right, alias, onlyTable)
    const flippedValue = literalOf(left)
    if (flippedColumn && flippedValue) return [{ column: flippedColumn, op: comparison.flipped, value: flippedValue }]
    return []
  }
  if (node.type === 'COMPARE_IN') {
    const [input, ...rest] = node.children as Node[]
    const column = columnOf(input, alias, onlyTable)
    const values = rest.map(literalOf)
    return column && values.every((v) => v !== undefined) ? [{ column, op: 'in', values: values as string[] }] : []
  }
  if (node.type === 'COMPARE_BETWEEN') {
    const column = columnOf(node.input as Node, alias, onlyTable)
    const low = literalOf(node.lower as Node)
    const high = literalOf(node.upper as Node)
    return column && low && high ? [{ column, op: 'between', low, high }] : []
  }
  return []
}
