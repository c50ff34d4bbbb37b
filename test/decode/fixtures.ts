/**
 * The Debezium and Avro conformance files (../shared/conformance, read only) and Kafka messages
 * made from them. Documentation examples (`*.doc.txt`) abbreviate; `repairDocExample` undoes
 * the abbreviations the way a reader would, so each example can still be decoded.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import assert from 'node:assert/strict'
import { createDecoder, type Decoded, type Format, type KafkaMessageInput } from '../../src/decode'
import type { DataType, StructType } from '../../src/delta/schema'
import { requireConformanceDir } from '../helpers/conformance'

export const conformance = requireConformanceDir()
export const debeziumDir = conformance && path.join(conformance, '3-debezium')
export const avroDir = conformance && path.join(conformance, '4-schema-registry-avro', 'risingwave-debezium-mysql-customers')

export function message(value: Uint8Array | string | null, key: Uint8Array | string | null = null): KafkaMessageInput {
  const bytes = (v: Uint8Array | string | null) => (typeof v === 'string' ? Buffer.from(v, 'utf8') : v)
  return { key: bytes(key), value: bytes(value), topic: 'topic', partition: 0, offset: '0', timestamp: '0' }
}

/** Every event file under 3-debezium, relative to it (provenance indexes, the README and the unsplit originals aside). */
export function debeziumEventFiles(): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(debeziumDir!, dir))) {
      const rel = path.join(dir, name)
      if (statSync(path.join(debeziumDir!, rel)).isDirectory()) {
        if (name !== 'original') walk(rel)
      } else if (!name.startsWith('_') && name !== 'README.md') out.push(rel)
    }
  }
  walk('')
  return out.sort()
}

export function readEvent(rel: string): string {
  return readFileSync(path.join(debeziumDir!, rel), 'utf8')
}

/**
 * A documentation example as JSON text: callouts (`// <1>`) and `...` lines dropped, `{ ... }`
 * as null, trailing commas removed, a bare `"name": {…}` fragment wrapped in braces, missing
 * closing braces added. Blocks holding two documents come back as two.
 */
export function repairDocExample(text: string): string[] {
  let fixed = text
    .replace(/[ \t]*\/\/ <\d+>/g, '')
    .replace(/\{\s*\.\.\.\s*\}/g, 'null')
    .split('\n')
    .filter((line) => line.trim() !== '...')
    .join('\n')
    .replace(/,(\s*[}\]])/g, '$1')
    .trim()
  if (fixed.startsWith('"')) fixed = `{${fixed}}`
  return splitDocuments(fixed).map(balanceBraces)
}

function splitDocuments(text: string): string[] {
  return text
    .split(/\n\s*\n(?=\s*\{)/)
    .map((part) => part.trim())
    .filter(Boolean)
}

function balanceBraces(text: string): string {
  let depth = 0
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '\\') i++
      else if (c === '"') quoted = false
    } else if (c === '"') quoted = true
    else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
  }
  return text + '}'.repeat(Math.max(0, depth))
}

/** The JSON documents of an event file: itself, or its repaired documentation example(s). */
export function eventDocuments(rel: string): string[] {
  const text = readEvent(rel)
  return rel.endsWith('.doc.txt') ? repairDocExample(text) : [text]
}

/** Documentation fragments that show only the inside of a value. */
export function unwrapFragment(file: string, json: string): string {
  if (file.endsWith('delete-rewrite-__deleted.doc.txt')) return JSON.stringify(JSON.parse(json).value)
  if (file.endsWith('unset-update-payload.doc.txt')) return JSON.stringify(JSON.parse(json).payload)
  return json
}

export async function decodeEventFile(file: string, format: Format, key: string | null = null): Promise<Decoded> {
  const [json] = eventDocuments(file)
  return createDecoder(format).decode(message(unwrapFragment(file, json), key))
}

export function row(decoded: Decoded): Record<string, unknown> {
  assert.equal(decoded.kind, 'row', JSON.stringify(decoded))
  return (decoded as Extract<Decoded, { kind: 'row' }>).row
}

/** The type at a dotted path of a decoded row's schema. */
export function typeAt(decoded: Decoded, dotted: string): DataType | undefined {
  let type: DataType = (decoded as Extract<Decoded, { kind: 'row' }>).schema
  for (const name of dotted.split('.')) {
    if (typeof type !== 'object' || type.type !== 'struct') return undefined
    const field: StructType['fields'][number] | undefined = type.fields.find((f) => f.name === name)
    if (!field) return undefined
    type = field.type
  }
  return type
}
