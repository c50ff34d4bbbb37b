/**
 * Debezium change-event streams for refine tests, with the state they should leave behind.
 * The generators keep the true rows (PostgreSQL) and documents (MongoDB) themselves and describe
 * each change the way the connector does (full after images, or MongoDB update descriptions
 * derived from the very mutation they made), so the expected final state never comes from the
 * code under test.
 */

import { seededRandom } from '../../src/demo/seeded-random'

/** The seeded PRNG the demo uses too: the same stream on every run. */
export const random = seededRandom

/** One Kafka message as `kcat -J` prints it (the file source reads these). */
export interface Captured {
  topic: string
  partition: number
  offset: number
  ts: number
  key: string | null
  payload: string | null
  headers: string[]
}

export function captureLines(messages: Captured[]): string {
  return messages.map((m) => JSON.stringify(m)).join('\n') + '\n'
}

/** balance is in cents: schemaless JSON cannot tell 30.0 from 30, and raw types a column by the first values it sees. */
export interface Customer {
  id: number
  name: string
  tier: string | null
  balance: number
  tags: string[]
}

export interface PostgresStream {
  messages: Captured[]
  /** The table's rows after every change, by id. */
  final: Map<number, Customer>
  /** Counts by kind, so tests can check the stream covers what they claim. */
  counts: Record<'read' | 'create' | 'update' | 'delete' | 'tombstone' | 'duplicate', number>
}

/**
 * A PostgreSQL connector stream (schemaless JsonConverter) over `customers`: snapshot reads,
 * creates, updates with before/after, deletes with a before image holding the key (REPLICA
 * IDENTITY DEFAULT), a tombstone after each delete, and re-sent duplicates of earlier events
 * (a connector restart replays from its last committed offset) placed later in the topic.
 */
export function postgresStream(options: {
  seed: number
  keys: number
  changes: number
  topic?: string
  partitions?: number
  startTs?: number
}): PostgresStream {
  const next = random(options.seed)
  const topic = options.topic ?? 'pg.public.customers'
  const partitions = options.partitions ?? 1
  const rows = new Map<number, Customer>()
  const offsets = Array.from({ length: partitions }, () => 0)
  const messages: Captured[] = []
  const counts = { read: 0, create: 0, update: 0, delete: 0, tombstone: 0, duplicate: 0 }
  let ts = options.startTs ?? Date.parse('2026-11-24T10:00:00Z')
  let lsn = 1000
  const sent: Captured[] = []
  const send = (id: number, payload: string | null) => {
    const partition = id % partitions
    const message = { topic, partition, offset: offsets[partition]++, ts, key: JSON.stringify({ id }), payload, headers: [] }
    messages.push(message)
    return message
  }
  const event = (op: string, before: Customer | null, after: Customer | null, snapshot = false) =>
    JSON.stringify({
      before,
      after,
      op,
      ts_ms: ts + 5,
      source: {
        version: '2.7.0.Final',
        connector: 'postgresql',
        name: 'pg',
        ts_ms: ts,
        snapshot: snapshot ? 'true' : 'false',
        db: 'shop',
        schema: 'public',
        table: 'customers',
        lsn: lsn++,
      },
    })
  const snapshotSize = Math.floor(options.keys / 2)
  for (let id = 1; id <= snapshotSize; id++) {
    const row: Customer = { id, name: `customer ${id}`, tier: null, balance: id * 10, tags: ['new'] }
    rows.set(id, row)
    sent.push(send(id, event('r', null, row, true)))
    counts.read++
  }
  for (let i = 0; i < options.changes; i++) {
    ts += 1 + Math.floor(next() * 3)
    const id = 1 + Math.floor(next() * options.keys)
    const current = rows.get(id)
    if (next() < 0.05 && sent.length > 0) {
      // A duplicate of an event from the last few: same content, a later offset.
      const original = sent[Math.max(0, sent.length - 1 - Math.floor(next() * 5))]
      const partition = original.partition
      messages.push({ ...original, offset: offsets[partition]++ })
      counts.duplicate++
      continue
    }
    if (!current) {
      const row: Customer = { id, name: `customer ${id}`, tier: next() < 0.5 ? 'silver' : null, balance: Math.floor(next() * 10000), tags: [] }
      rows.set(id, row)
      sent.push(send(id, event('c', null, row)))
      counts.create++
    } else if (next() < 0.2) {
      rows.delete(id)
      sent.push(send(id, event('d', { id, name: null, tier: null, balance: null, tags: null } as unknown as Customer, null)))
      send(id, null)
      counts.delete++
      counts.tombstone++
    } else {
      const row: Customer = {
        ...current,
        tier: ['gold', 'silver', null][Math.floor(next() * 3)],
        balance: Math.floor(next() * 10000),
        tags: next() < 0.5 ? [...current.tags, `t${i}`] : current.tags.slice(1),
      }
      rows.set(id, row)
      sent.push(send(id, event('u', current, row)))
      counts.update++
    }
  }
  return { messages, final: rows, counts }
}

export interface MongoCustomer {
  _id: string
  name: string
  address: { city: string; zip: string }
  tags: string[]
  points: number
  since: string
  nickname?: string
}

export interface MongoStream {
  messages: Captured[]
  final: Map<string, MongoCustomer>
  counts: Record<'create' | 'fullUpdate' | 'partialUpdate' | 'delete' | 'tombstone', number>
}

const hex = (n: number) => n.toString(16).padStart(24, '0')

/** Extended JSON (relaxed v2, as the connector writes) of a document. */
function extendedJson(doc: MongoCustomer): string {
  const { _id, since, points, ...rest } = doc
  return JSON.stringify({ _id: { $oid: _id }, ...rest, points: { $numberLong: String(points) }, since: { $date: since } })
}

/**
 * A MongoDB connector stream (change streams, schemaless): creates, full updates
 * (change_streams_update_full), updates that carry only an update description (dotted paths into
 * the address, array elements, removed fields, truncated arrays), deletes without a pre-image, and
 * tombstones.
 */
export function mongoStream(options: { seed: number; keys: number; changes: number; topic?: string }): MongoStream {
  const next = random(options.seed)
  const topic = options.topic ?? 'mongo.shop.customers'
  const docs = new Map<string, MongoCustomer>()
  const messages: Captured[] = []
  const counts = { create: 0, fullUpdate: 0, partialUpdate: 0, delete: 0, tombstone: 0 }
  let ts = Date.parse('2026-11-24T10:00:00Z')
  let offset = 0
  const send = (id: string, value: Record<string, unknown> | null) => {
    messages.push({
      topic,
      partition: 0,
      offset: offset++,
      ts,
      key: JSON.stringify({ id: JSON.stringify({ $oid: id }) }),
      payload: value === null ? null : JSON.stringify(value),
      headers: [],
    })
  }
  const envelope = (op: string, after: string | null, updateDescription: unknown = null) => ({
    before: null,
    after,
    updateDescription,
    op,
    ts_ms: ts + 3,
    source: { version: '2.7.0.Final', connector: 'mongodb', name: 'mongo', ts_ms: ts, db: 'shop', collection: 'customers', ord: 1 },
  })
  for (let i = 0; i < options.changes; i++) {
    ts += 1 + Math.floor(next() * 3)
    const id = hex(1 + Math.floor(next() * options.keys))
    const current = docs.get(id)
    if (!current) {
      const doc: MongoCustomer = {
        _id: id,
        name: `customer ${id.slice(-4)}`,
        address: { city: 'Lyon', zip: '69001' },
        tags: ['a', 'b', 'c'],
        points: 2 ** 40 + i,
        since: new Date(ts).toISOString(),
        ...(next() < 0.5 ? { nickname: 'nick' } : {}),
      }
      docs.set(id, doc)
      send(id, envelope('c', extendedJson(doc)))
      counts.create++
    } else if (next() < 0.15) {
      docs.delete(id)
      send(id, envelope('d', null))
      send(id, null)
      counts.delete++
      counts.tombstone++
    } else if (next() < 0.4) {
      const doc: MongoCustomer = { ...current, name: `renamed ${i}`, points: current.points + 1 }
      docs.set(id, doc)
      send(id, envelope('u', extendedJson(doc)))
      counts.fullUpdate++
    } else {
      // A partial update: the generator mutates the true document and says exactly what it did.
      const doc: MongoCustomer = structuredClone(current)
      const updatedFields: Record<string, unknown> = { 'address.city': `City ${i}`, points: { $numberLong: String(current.points + 7) } }
      doc.address.city = `City ${i}`
      doc.points = current.points + 7
      const truncatedArrays: { field: string; size: number }[] = []
      if (doc.tags.length > 1 && next() < 0.5) {
        doc.tags = doc.tags.slice(0, 1)
        truncatedArrays.push({ field: 'tags', size: 1 })
      } else if (doc.tags.length > 0) {
        updatedFields['tags.0'] = `tag ${i}`
        doc.tags[0] = `tag ${i}`
      }
      const removedFields: string[] = []
      if (doc.nickname !== undefined && next() < 0.5) {
        delete doc.nickname
        removedFields.push('nickname')
      }
      docs.set(id, doc)
      send(id, envelope('u', null, { updatedFields: JSON.stringify(updatedFields), removedFields, truncatedArrays }))
      counts.partialUpdate++
    }
  }
  return { messages, final: docs, counts }
}
