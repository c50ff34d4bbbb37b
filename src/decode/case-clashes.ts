/**
 * Field names that differ only in case (`id` and `ID`) cannot be two columns: Delta column names
 * are case-insensitive, and so is DuckDB. Rather than refuse the message, the first spelling in
 * each object stays and the others are taken out, with their paths, for `_rescued_data`, as
 * Databricks Auto Loader rescues a column whose case differs from the schema's. Nothing is lost.
 */
import { isEmptyValue } from './conforms'
import { isJsonObject, JsonNumber } from './json-text'
import { setField } from './values'

/** The value without the later spellings of a name, at any depth; those go into `rescued` by path (`a.b`, `items[2].ID`). */
export function withoutCaseClashes(value: unknown, path: string, rescued: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((element, i) => withoutCaseClashes(element, `${path}[${i}]`, rescued))
  if (!isJsonObject(value)) return value
  const kept: Record<string, unknown> = {}
  const seen = new Set<string>()
  for (const key of Object.keys(value)) {
    const where = path ? `${path}.${key}` : key
    const lower = key.toLowerCase()
    if (seen.has(lower)) {
      // As for any field no column takes (rescue.ts): nothing in it, nothing to keep.
      if (!isEmptyValue(value[key])) rescued[where] = plainJson(value[key])
      continue
    }
    seen.add(lower)
    setField(kept, key, withoutCaseClashes(value[key], where, rescued))
  }
  return kept
}

/** A parsed value as JSON.stringify writes it faithfully: long numbers as their digits. */
function plainJson(value: unknown): unknown {
  if (value instanceof JsonNumber) return value.text
  if (Array.isArray(value)) return value.map(plainJson)
  if (!isJsonObject(value)) return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) setField(out, key, plainJson(value[key]))
  return out
}
