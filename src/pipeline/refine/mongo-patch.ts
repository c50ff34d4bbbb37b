/**
 * MongoDB partial updates applied to a document: the change-stream `updateDescription`
 * (updatedFields with dotted paths into nested documents and array elements, removedFields,
 * truncatedArrays) and the 1.x oplog `patch` ($set / $unset, or a whole replacement document).
 * Documents are plain JSON values; numbers too long for a double stay exact (JsonNumber).
 */
import { isJsonObject, JsonNumber, parseJsonText } from '../../decode/json-text'

export type Document = Record<string, unknown>

export interface UpdateDescription {
  /** JSON text of `{ "dotted.path": value }`, as ingest stores it. */
  updated_fields?: string | null
  removed_fields?: string[] | null
  truncated_arrays?: { field: string; size: number }[] | null
}

export class PatchError extends Error {}

export function parseDocument(text: string, what: string): Document {
  const parsed = parseJsonText(text)
  if (!parsed.ok) throw new PatchError(`${what} is not valid JSON: ${parsed.detail}`)
  if (!isJsonObject(parsed.value)) throw new PatchError(`${what} is not a document`)
  return parsed.value
}

/** Applies a change-stream update description; returns a new document (the input is not changed). */
export function applyUpdateDescription(document: Document, update: UpdateDescription): Document {
  const result = structuredCloneJson(document)
  // Truncation first: updatedFields' array indexes refer to the truncated array.
  for (const { field, size } of update.truncated_arrays ?? []) {
    const array = lookup(result, field)
    if (Array.isArray(array)) array.length = Math.min(array.length, Number(size))
  }
  if (update.updated_fields) {
    for (const [path, value] of Object.entries(parseDocument(update.updated_fields, 'updatedFields'))) setPath(result, path, value)
  }
  for (const path of update.removed_fields ?? []) unsetPath(result, path)
  return result
}

/** Applies a 1.x oplog patch: `{"$set": {...}, "$unset": {...}}`, or a replacement document. */
export function applyLegacyPatch(document: Document, patchText: string): Document {
  const patch = parseDocument(patchText, 'patch')
  const operators = Object.keys(patch).filter((k) => k.startsWith('$') && k !== '$v')
  if (operators.length === 0) {
    // A replacement: the new document, keeping the id the patch may leave out.
    const { $v: _version, ...replacement } = patch
    return '_id' in replacement || !('_id' in document) ? replacement : { _id: document._id, ...replacement }
  }
  const result = structuredCloneJson(document)
  for (const operator of operators) {
    const fields = patch[operator]
    if (!isJsonObject(fields)) throw new PatchError(`patch ${operator} is not a document`)
    if (operator === '$set') for (const [path, value] of Object.entries(fields)) setPath(result, path, value)
    else if (operator === '$unset') for (const path of Object.keys(fields)) unsetPath(result, path)
    else throw new PatchError(`patch operator ${operator} is not supported (only $set and $unset appear in Debezium's oplog events)`)
  }
  return result
}

function segments(path: string): string[] {
  return path.split('.')
}

function lookup(document: Document, path: string): unknown {
  let current: unknown = document
  for (const part of segments(path)) {
    if (Array.isArray(current) && /^\d+$/.test(part)) current = current[Number(part)]
    else if (isJsonObject(current)) current = current[part]
    else return undefined
  }
  return current
}

/** MongoDB's $set: missing parents become documents; a numeric part indexes an existing array (padding with nulls). */
function setPath(document: Document, path: string, value: unknown): void {
  const parts = segments(path)
  let current: unknown = document
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1
    if (Array.isArray(current) && /^\d+$/.test(part)) {
      const index = Number(part)
      while (current.length < index) current.push(null)
      if (last) current[index] = value
      else current = container(current as unknown as Record<number, unknown>, index, path, parts, i)
    } else if (isJsonObject(current)) {
      if (last) current[part] = value
      else current = container(current, part, path, parts, i)
    } else {
      throw new PatchError(`cannot set '${path}': '${parts.slice(0, i).join('.')}' is not a document or an array`)
    }
  }
}

/** The document or array at `parent[name]`, created when missing; a scalar there cannot hold a field. */
function container(parent: Record<string | number, unknown>, name: string | number, path: string, parts: string[], i: number): unknown {
  const value = parent[name]
  if (value === undefined || value === null) return (parent[name] = {})
  if (isJsonObject(value) || Array.isArray(value)) return value
  throw new PatchError(`cannot set '${path}': '${parts.slice(0, i + 1).join('.')}' is not a document or an array`)
}

/** MongoDB's $unset: removes a field; on an array element it leaves null in its place. */
function unsetPath(document: Document, path: string): void {
  const parts = segments(path)
  const parent = parts.length === 1 ? document : lookup(document, parts.slice(0, -1).join('.'))
  const name = parts[parts.length - 1]
  if (Array.isArray(parent) && /^\d+$/.test(name)) {
    if (Number(name) < parent.length) parent[Number(name)] = null
  } else if (isJsonObject(parent)) {
    delete parent[name]
  }
}

function structuredCloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(structuredCloneJson) as T
  if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneJson(v)])) as T
  return value
}

/** JSON text that writes JsonNumbers with all their digits. */
export function stringifyExact(value: unknown): string {
  if (value instanceof JsonNumber) return value.text
  if (Array.isArray(value)) return `[${value.map(stringifyExact).join(',')}]`
  if (isJsonObject(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${stringifyExact(v)}`)
      .join(',')}}`
  return JSON.stringify(value ?? null)
}
