/**
 * Streams whose documents gain fields mid-stream at every depth (top level, a struct, a struct in
 * a struct, a struct inside list elements, a struct inside the elements of a list inside a
 * struct), as plain JSON events, Debezium PostgreSQL envelopes and Debezium MongoDB events (full
 * images and update descriptions), stage by stage: each stage is ingested as one raw version.
 * The generator keeps the true documents itself, so the expected refined rows and change feeds
 * never come from the code under test.
 */
import type { Captured } from './cdc-streams'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Doc = { [key: string]: Json }

/** One change: a key created or updated to a document of some shape level, or deleted. */
interface Change {
  key: number
  kind: 'upsert' | 'delete'
  level: number
  full?: boolean
}

/**
 * Level 0: id, rev, customer {name, address {city}}, items [{sku, qty}], shipping {parcels [{weight, dims {h}}]}.
 * 1 adds note; 2 customer.vip; 3 customer.address.zip; 4 items[].discount; 5 shipping.parcels[].dims.w.
 * Key 3 is updated at stage 4 by an old producer (level 1): one raw version holds both shapes.
 */
const STAGES: Change[][] = [
  [
    { key: 1, kind: 'upsert', level: 0 },
    { key: 2, kind: 'upsert', level: 0 },
    { key: 3, kind: 'upsert', level: 0 },
  ],
  [
    { key: 1, kind: 'upsert', level: 1 },
    { key: 4, kind: 'upsert', level: 1 },
  ],
  [
    { key: 2, kind: 'upsert', level: 2 },
    { key: 3, kind: 'delete', level: 0 },
  ],
  [
    { key: 1, kind: 'upsert', level: 3, full: true },
    { key: 3, kind: 'upsert', level: 3 },
  ],
  [
    { key: 4, kind: 'upsert', level: 4 },
    { key: 2, kind: 'delete', level: 0 },
    { key: 3, kind: 'upsert', level: 1, full: true },
  ],
  [
    { key: 3, kind: 'upsert', level: 5 },
    { key: 1, kind: 'upsert', level: 5 },
  ],
]

function document(key: number, rev: number, level: number): Doc {
  const address: Doc = { city: `city ${rev}` }
  const customer: Doc = { name: `customer ${key}`, address }
  const items: Doc[] = [{ sku: `sku ${key}`, qty: rev }]
  const dims: Doc = { h: 2.5 }
  const doc: Doc = { rev, customer, items, shipping: { parcels: [{ weight: 1.5, dims }] } }
  if (level >= 1) doc.note = `note ${rev}`
  if (level >= 2) customer.vip = rev % 2 === 0
  if (level >= 3) address.zip = `zip ${rev}`
  if (level >= 4) {
    items[0].discount = 0.25
    items.push({ sku: 'extra', qty: 1, discount: 0.5 })
  }
  if (level >= 5) dims.w = 3.5
  return doc
}

export interface DriftEvent {
  stage: number
  key: number
  kind: 'upsert' | 'delete'
  ts: number
  doc?: Doc
}

export interface DriftStreams {
  stages: number
  /** Per stage, the messages of each format. */
  json: Captured[][]
  debezium: Captured[][]
  mongo: Captured[][]
  /** Every change in order, with the true document after it (mongo documents have `_id` instead of `id`). */
  events: DriftEvent[]
}

export const oid = (key: number) => key.toString(16).padStart(24, '0')

/** The update description that turns `before` into `after` (dotted paths; arrays of another length are set whole). */
function updateDescription(before: Doc, after: Doc): { updatedFields: string; removedFields: string[]; truncatedArrays: null } {
  const updated: Record<string, Json> = {}
  const removed: string[] = []
  const walk = (a: Json, b: Json, path: string) => {
    if (isObject(a) && isObject(b)) {
      for (const k of Object.keys(b)) if (!(k in a) || JSON.stringify(a[k]) !== JSON.stringify(b[k])) walk(a[k] ?? null, b[k], path ? `${path}.${k}` : k)
      for (const k of Object.keys(a)) if (!(k in b)) removed.push(path ? `${path}.${k}` : k)
    } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      b.forEach((element, i) => {
        if (JSON.stringify(a[i]) !== JSON.stringify(element)) walk(a[i], element, `${path}.${i}`)
      })
    } else updated[path] = b
  }
  walk(before, after, '')
  return { updatedFields: JSON.stringify(updated), removedFields: removed, truncatedArrays: null }
}

const isObject = (v: Json | undefined): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v)

export function driftStreams(topic = 'drift'): DriftStreams {
  const json: Captured[][] = []
  const debezium: Captured[][] = []
  const mongo: Captured[][] = []
  const events: DriftEvent[] = []
  const offsets = { json: 0, debezium: 0, mongo: 0 }
  const current = new Map<number, Doc>()
  let ts = Date.parse('2026-11-24T10:00:00Z')
  let rev = 0
  STAGES.forEach((changes, stage) => {
    const out = { json: [] as Captured[], debezium: [] as Captured[], mongo: [] as Captured[] }
    const send = (format: keyof typeof out, key: string, payload: unknown) =>
      out[format].push({
        topic: `${topic}.${format}`,
        partition: 0,
        offset: offsets[format]++,
        ts,
        key,
        payload: payload === null ? null : JSON.stringify(payload),
        headers: [],
      })
    for (const change of changes) {
      ts += 1000
      const before = current.get(change.key)
      const pgKey = JSON.stringify({ id: change.key })
      const mongoKey = JSON.stringify({ id: JSON.stringify({ $oid: oid(change.key) }) })
      if (change.kind === 'delete') {
        current.delete(change.key)
        events.push({ stage, key: change.key, kind: 'delete', ts })
        send('debezium', pgKey, { before: { id: change.key }, after: null, op: 'd', ts_ms: ts, source: { ts_ms: ts, connector: 'postgresql' } })
        send('debezium', pgKey, null)
        send('mongo', mongoKey, { before: null, after: null, updateDescription: null, op: 'd', ts_ms: ts, source: { ts_ms: ts, connector: 'mongodb' } })
        send('mongo', mongoKey, null)
        continue
      }
      const doc = document(change.key, ++rev, change.level)
      current.set(change.key, doc)
      events.push({ stage, key: change.key, kind: 'upsert', ts, doc })
      send('json', pgKey, { id: change.key, ...doc })
      send('debezium', pgKey, {
        before: null,
        after: { id: change.key, ...doc },
        op: before ? 'u' : 'c',
        ts_ms: ts,
        source: { ts_ms: ts, connector: 'postgresql' },
      })
      const full = JSON.stringify({ _id: { $oid: oid(change.key) }, ...doc })
      send(
        'mongo',
        mongoKey,
        before && !change.full
          ? { before: null, after: null, updateDescription: updateDescription(before, doc), op: 'u', ts_ms: ts, source: { ts_ms: ts, connector: 'mongodb' } }
          : { before: null, after: full, updateDescription: null, op: before ? 'u' : 'c', ts_ms: ts, source: { ts_ms: ts, connector: 'mongodb' } },
      )
    }
    json.push(out.json)
    debezium.push(out.debezium)
    mongo.push(out.mongo)
  })
  return { stages: STAGES.length, json, debezium, mongo, events }
}

/** Every field any document has, at any depth (list elements merged into one). */
function template(values: Json[]): Json {
  const objects = values.filter(isObject)
  const arrays = values.filter(Array.isArray) as Json[][]
  if (objects.length) {
    const keys = [...new Set(objects.flatMap((o) => Object.keys(o)))]
    return Object.fromEntries(keys.map((k) => [k, template(objects.map((o) => o[k]).filter((v) => v !== undefined))]))
  }
  if (arrays.length) return [template(arrays.flat())]
  return null
}

/** `value` with every field of `shape` it lacks as null, at any depth: a row read through the final schema. */
function fill(value: Json, shape: Json): Json {
  if (value === null) return null
  if (isObject(value) && isObject(shape)) return Object.fromEntries(Object.keys(shape).map((k) => [k, fill(value[k] ?? null, shape[k])]))
  if (Array.isArray(value) && Array.isArray(shape)) return value.map((v) => fill(v, shape[0]))
  return value
}

/** Objects with their keys sorted, recursively: rows compare regardless of column order. */
export function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v
  return JSON.stringify(sort(value))
}

/** Struct columns as `parent_child` columns (lists stay), as the flatten transform names them. */
function flattened(row: Doc, prefix = '', out: Doc = {}): Doc {
  for (const [k, v] of Object.entries(row)) {
    if (isObject(v)) flattened(v, `${prefix}${k}_`, out)
    else out[`${prefix}${k}`] = v
  }
  return out
}

export type DriftFlow = 'append' | 'items' | 'current' | 'history' | 'mongo'

/**
 * The rows each flow's table should hold, and its change feed when the source's stages are refined
 * in `batches` (stage indexes per refine batch; the batch's table version is its index).
 */
export function expectedDrift(streams: DriftStreams, flow: DriftFlow, batches: number[][]): { rows: string[]; feed: string[] } {
  const withKey = (e: DriftEvent): Doc => (flow === 'mongo' ? { _id: oid(e.key), ...e.doc! } : { id: e.key, ...e.doc! })
  const shape = template(streams.events.filter((e) => e.doc).map(withKey))
  const row = (e: DriftEvent) => fill(withKey(e), shape) as Doc
  const feed: string[] = []
  const change = (version: number, type: string, r: Doc) => feed.push(canonical({ ...r, _change_type: type, _commit_version: version }))
  const sorted = (rows: Doc[]) => rows.map(canonical).sort()

  if (flow === 'append' || flow === 'items') {
    const rowsOf = (e: DriftEvent): Doc[] => {
      if (flow === 'append') return [row(e)]
      const { items, ...rest } = row(e)
      return (items as Doc[]).map((item, i) => flattened({ ...rest, item, items_index: i }))
    }
    const upserts = streams.events.filter((e) => e.kind === 'upsert')
    batches.forEach((stages, version) =>
      upserts
        .filter((e) => stages.includes(e.stage))
        .flatMap(rowsOf)
        .forEach((r) => change(version, 'insert', r)),
    )
    return { rows: sorted(upserts.flatMap(rowsOf)), feed: feed.sort() }
  }
  if (flow === 'history') {
    const versions: { key: number; start: number; end: number | null; batch: number; closedIn?: number; row: Doc }[] = []
    batches.forEach((stages, batch) => {
      for (const e of streams.events.filter((x) => stages.includes(x.stage))) {
        const open = versions.find((v) => v.key === e.key && v.end === null)
        if (open) Object.assign(open, { end: e.ts, closedIn: batch })
        if (e.kind === 'upsert') versions.push({ key: e.key, start: e.ts, end: null, batch, row: row(e) })
      }
    })
    const full = (v: (typeof versions)[number], end: number | null) => ({ ...v.row, __start_at: v.start, __end_at: end })
    for (const v of versions) {
      change(v.batch, 'insert', full(v, v.closedIn === v.batch ? v.end : null))
      if (v.closedIn !== undefined && v.closedIn !== v.batch) {
        change(v.closedIn, 'update_preimage', full(v, null))
        change(v.closedIn, 'update_postimage', full(v, v.end))
      }
    }
    return { rows: sorted(versions.map((v) => full(v, v.end))), feed: feed.sort() }
  }
  // The current state (SCD 1), PostgreSQL's or MongoDB's: each batch changes a key at most once.
  const state = new Map<number, Doc>()
  batches.forEach((stages, version) => {
    const before = new Map(state)
    const changed = new Set<number>()
    for (const e of streams.events.filter((x) => stages.includes(x.stage))) {
      changed.add(e.key)
      if (e.kind === 'delete') state.delete(e.key)
      else state.set(e.key, row(e))
    }
    for (const key of changed) {
      const [a, b] = [before.get(key), state.get(key)]
      if (a && b) {
        change(version, 'update_preimage', a)
        change(version, 'update_postimage', b)
      } else if (a) change(version, 'delete', a)
      else if (b) change(version, 'insert', b)
    }
  })
  return { rows: sorted([...state.values()]), feed: feed.sort() }
}
