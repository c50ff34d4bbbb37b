/**
 * The Produce editor's checks and suggestions, as plain functions over text and the schema tree
 * the host sent (the topic's inferred schema): where JSON stops parsing (line and column), which
 * fields the inferred schema lacks or types otherwise (ingest adds the first as columns and keeps
 * the second in `_rescued_data`, so they are said, not refused), the object path at the caret for
 * field-name suggestions, and a value to start from. No DOM here.
 */
import type { JsonValue, SchemaNode } from '../shared/protocol'

export type ParsedValue = { ok: true; value: JsonValue } | { ok: false; message: string; line: number; column: number }

/** Line and column (from 1) of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)))
  const lines = before.split('\n')
  return { line: lines.length, column: lines[lines.length - 1].length + 1 }
}

/** JSON.parse, with where it stopped (browsers' messages do not always say, so it is found by a scan). */
export function parseJsonValue(text: string): ParsedValue {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue }
  } catch (error) {
    return { ok: false, message: (error as Error).message, ...lineColumn(text, jsonErrorOffset(text)) }
  }
}

/** The offset of the first character that is not JSON (RFC 8259's grammar), or the text's length when it ends too soon. */
export function jsonErrorOffset(text: string): number {
  let i = 0
  const fail = (): never => {
    throw new RangeError(String(i))
  }
  const space = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++
  }
  const word = (w: string) => (text.startsWith(w, i) ? (i += w.length) : fail())
  const string = () => {
    i++
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail()
      i += text[i] === '\\' ? 2 : 1
    }
    if (i >= text.length) fail()
    i++
  }
  const number = () => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 1000))
    if (!match) fail()
    i += match![0].length
  }
  const items = (close: string, item: () => void) => {
    i++
    space()
    if (text[i] === close) return void i++
    for (;;) {
      item()
      space()
      if (text[i] === ',') i++
      else if (text[i] === close) return void i++
      else fail()
    }
  }
  const value = (depth: number): void => {
    space()
    const c = text[i]
    if (depth > 512) fail()
    if (c === '{')
      items('}', () => {
        space()
        if (text[i] !== '"') fail()
        string()
        space()
        if (text[i] !== ':') fail()
        i++
        value(depth + 1)
      })
    else if (c === '[') items(']', () => value(depth + 1))
    else if (c === '"') string()
    else if (c === '-' || (c >= '0' && c <= '9')) number()
    else word(c === 't' ? 'true' : c === 'f' ? 'false' : 'null')
  }
  try {
    value(0)
    space()
    return Math.min(i, text.length)
  } catch (error) {
    if (error instanceof RangeError && /^\d+$/.test(error.message)) return Number(error.message)
    throw error
  }
}

/**
 * JSON text without the whitespace between tokens: the value as typed (numbers keep every digit,
 * which JSON.parse and JSON.stringify would not for 64-bit ids), on one line as producers send it.
 */
export function compactJson(text: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      out += c
      if (c === '\\') out += text[++i] ?? ''
      else if (c === '"') inString = false
    } else if (c === '"') {
      inString = true
      out += c
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') out += c
  }
  return out
}

const INTEGER_TYPES = new Set(['byte', 'short', 'integer', 'long'])
const NUMBER_TYPES = new Set(['float', 'double'])
const TEXT_TYPES = new Set(['string', 'timestamp', 'timestamp_ntz', 'date', 'binary'])

const kindOf = (value: JsonValue): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : typeof value === 'string'
          ? 'text'
          : typeof value === 'number'
            ? Number.isInteger(value)
              ? 'a whole number'
              : 'a number'
            : typeof value

/** Whether a JSON value fits a schema type as ingest reads it (null fits any nullable column). */
function fits(node: SchemaNode, value: JsonValue): boolean {
  if (value === null) return true
  const type = node.type
  if (INTEGER_TYPES.has(type)) return typeof value === 'number' && Number.isInteger(value)
  if (NUMBER_TYPES.has(type) || type.startsWith('decimal')) return typeof value === 'number'
  if (TEXT_TYPES.has(type)) return typeof value === 'string'
  if (type === 'boolean') return typeof value === 'boolean'
  if (type === 'struct' || type.startsWith('map<')) return typeof value === 'object' && !Array.isArray(value)
  if (type.startsWith('array<')) return Array.isArray(value)
  return true
}

const join = (path: string, name: string) => (path ? `${path}.${name}` : name)

/** What ingest would make of `value` against the inferred schema: new fields and values of another type. */
export function schemaNotes(value: JsonValue, schema: SchemaNode[]): string[] {
  const notes: string[] = []
  if (schema.length === 0) return notes
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return [`the value is ${kindOf(value)}: the topic's messages are objects (ingest writes it as a dead letter)`]
  walkObject(value, schema, '', notes)
  return notes.slice(0, 50)
}

function walkObject(value: { [key: string]: JsonValue }, fields: SchemaNode[], path: string, notes: string[]): void {
  const byName = new Map(fields.map((f) => [f.name, f]))
  for (const [name, child] of Object.entries(value)) {
    const node = byName.get(name)
    const at = join(path, name)
    if (!node) {
      notes.push(`${at}: not in the inferred schema (ingest adds it as a new column)`)
      continue
    }
    walkValue(node, child, at, notes)
  }
}

function walkValue(node: SchemaNode, value: JsonValue, at: string, notes: string[]): void {
  if (!fits(node, value)) {
    notes.push(`${at}: ${kindOf(value)} where the schema has ${node.type} (ingest keeps it in _rescued_data)`)
    return
  }
  if (value === null || typeof value !== 'object') return
  if (Array.isArray(value)) {
    const element = node.children[0]
    if (element) value.forEach((item, i) => walkValue(element, item, `${at}[${i}]`, notes))
    return
  }
  if (node.type === 'struct') walkObject(value, node.children, at, notes)
}

/** A Kafka Connect value (`{"schema": …, "payload": …}`) is checked by its payload, as the decoder reads it. */
export function checkedPart(value: JsonValue): JsonValue {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'schema' in value && 'payload' in value) return value.payload
  return value
}

export interface CaretContext {
  /** Field names from the top: the object the caret is in (array elements are `element`). */
  path: string[]
  /** The caret is where a field name goes (after `{` or `,` in an object, or inside such a name). */
  atKey: boolean
  /** The part of the name typed so far (without the opening quote). */
  typed: string
  /** Names the object has already. */
  present: string[]
}

interface Frame {
  kind: 'object' | 'array'
  /** The name whose value this container is (for objects and arrays inside an object). */
  name?: string
  keys: string[]
  expectKey: boolean
  lastKey?: string
}

function keyText(quoted: string): string {
  try {
    return JSON.parse(quoted) as string
  } catch {
    return quoted.slice(1, -1)
  }
}

/** Where the caret is in the JSON typed so far: a small scan of the text before it (no full parse: it is being typed). */
export function caretContext(text: string, caret: number): CaretContext {
  const stack: Frame[] = []
  let i = 0
  let openString: { start: number; isKey: boolean } | undefined
  const end = Math.min(caret, text.length)
  while (i < end) {
    const c = text[i]
    const top = stack[stack.length - 1]
    if (c === '"') {
      const isKey = top?.kind === 'object' && top.expectKey
      let j = i + 1
      let closed = false
      while (j < end) {
        if (text[j] === '\\') j += 2
        else if (text[j] === '"') {
          closed = true
          break
        } else j++
      }
      if (!closed) {
        openString = { start: i + 1, isKey }
        break
      }
      if (isKey && top) {
        top.lastKey = keyText(text.slice(i, j + 1))
        top.keys.push(top.lastKey)
        top.expectKey = false
      }
      i = j + 1
      continue
    }
    if (c === '{' || c === '[') {
      const name = top?.kind === 'object' ? top.lastKey : top?.kind === 'array' ? 'element' : undefined
      stack.push({ kind: c === '{' ? 'object' : 'array', ...(name !== undefined ? { name } : {}), keys: [], expectKey: c === '{' })
    } else if (c === '}' || c === ']') stack.pop()
    else if (c === ',' && top?.kind === 'object') top.expectKey = true
    i++
  }
  const path = stack.slice(1).map((f) => f.name ?? 'element')
  const top = stack[stack.length - 1]
  if (openString) return { path, atKey: openString.isKey, typed: text.slice(openString.start, end), present: top?.keys ?? [] }
  const inObject = top?.kind === 'object'
  return { path, atKey: inObject === true && top.expectKey, typed: '', present: top?.keys ?? [] }
}

/** The schema's fields of the object at `path` (through structs and array elements). */
export function fieldsAt(schema: SchemaNode[], path: string[]): SchemaNode[] {
  let fields = schema
  for (const name of path) {
    const node = fields.find((f) => f.name === name)
    if (!node) return []
    // A struct's children are its fields; an array's one child is its `element`, the next step of the path.
    fields = node.children
  }
  return fields
}

/** Field names to offer at the caret: the object's schema fields it lacks, starting with what is typed. */
export function fieldSuggestions(schema: SchemaNode[], context: CaretContext): SchemaNode[] {
  if (!context.atKey) return []
  const typed = context.typed.toLowerCase()
  return fieldsAt(schema, context.path).filter((f) => !context.present.includes(f.name) && f.name.toLowerCase().startsWith(typed))
}

/** A value shaped like the schema, each field with an example of its type: somewhere to start typing. */
export function schemaSkeleton(schema: SchemaNode[]): JsonValue {
  return Object.fromEntries(schema.map((node) => [node.name, exampleOf(node)]))
}

function exampleOf(node: SchemaNode): JsonValue {
  const type = node.type
  if (INTEGER_TYPES.has(type)) return 0
  if (NUMBER_TYPES.has(type) || type.startsWith('decimal')) return 0.5
  if (type === 'boolean') return false
  if (type === 'struct') return schemaSkeleton(node.children)
  if (type.startsWith('array<')) return node.children[0] ? [exampleOf(node.children[0])] : []
  if (type.startsWith('map<')) return {}
  if (type === 'timestamp' || type === 'timestamp_ntz') return new Date(0).toISOString()
  if (type === 'date') return '1970-01-01'
  if (TEXT_TYPES.has(type)) return ''
  return null
}
