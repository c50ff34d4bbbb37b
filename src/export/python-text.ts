/**
 * Python source text from values of the pipeline file: every name, topic, path and SQL text the
 * export writes into a Python file goes through here, so none of them can end a string early,
 * open a comment or inject code. Literals are all-ASCII (everything else is escaped).
 */
import { ExportError } from './errors'

/** A Python string literal (double-quoted, escaped) holding exactly `text`. */
export function pyString(text: string): string {
  let out = '"'
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (char === '\\') out += '\\\\'
    else if (char === '"') out += '\\"'
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else if (code >= 0x20 && code < 0x7f) out += char
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`
    else out += `\\U${code.toString(16).padStart(8, '0')}`
  }
  return out + '"'
}

export type PyValue = string | number | boolean | null | undefined | PyValue[] | { [key: string]: PyValue }

/** A Python literal (str, int, float, bool, None, list, dict) for a JSON-like value. */
export function pyLiteral(value: PyValue): string {
  if (value === null || value === undefined) return 'None'
  if (typeof value === 'string') return pyString(value)
  if (typeof value === 'boolean') return value ? 'True' : 'False'
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value)
    if (!Number.isFinite(value)) throw new ExportError(`cannot write ${value} as a Python literal`)
    return String(value)
  }
  if (Array.isArray(value)) return `[${value.map(pyLiteral).join(', ')}]`
  return `{${Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${pyString(k)}: ${pyLiteral(v)}`)
    .join(', ')}}`
}

/**
 * Text safe inside a `#` comment: one line, printable. Used only to echo a value for the reader;
 * the code itself always uses the quoted literal.
 */
export function pyCommentText(text: string, max = 120): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces
  const flat = text.replace(/[\r\n]+/g, ' ⏎ ').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?')
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}

/** A valid Python identifier made from a pipeline name (for file and function names). */
export function pyIdentifier(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, '_')
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned || '_'
}
