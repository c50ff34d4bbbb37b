/**
 * The demo's embedded capture, generated deterministically (a seeded PRNG, fixed clock): two topics
 * as `kcat -J` would have recorded them from a shop's Kafka.
 * - `shop.customers`: the Debezium MongoDB connector (change streams, schemaless JSON): a snapshot,
 *   then creates, full updates, updates that carry only an update description (nested fields,
 *   array elements, removed fields, truncated arrays), deletes and their tombstones.
 * - `shop.orders`: JSON order events from a backend service, with nested line items.
 * The generator keeps the true documents, so the demo (and its test) can check what refine built.
 */

import { seededRandom as random } from './seeded-random'

export interface CapturedMessage {
  topic: string
  partition: number
  offset: number
  ts: number
  key: string | null
  payload: string | null
  headers: string[]
}

export interface Customer {
  _id: string
  name: string
  email: string
  phone?: string
  address: { street: string; city: string; country: string; zip: string }
  tags: string[]
  loyalty: { tier: string; points: number }
  created_at: string
  balance: string
}

export interface DemoData {
  customers: CapturedMessage[]
  orders: CapturedMessage[]
  /** Each customer document after every change, by id (deleted ones absent). */
  finalCustomers: Map<string, Customer>
  orderCount: number
  itemCount: number
}

export const CUSTOMERS_TOPIC = 'shop.customers'
export const ORDERS_TOPIC = 'shop.orders'

const FIRST = [
  'Ada',
  'Grace',
  'Alan',
  'Edsger',
  'Barbara',
  'Donald',
  'Frances',
  'Ken',
  'Margaret',
  'Niklaus',
  'Radia',
  'Tim',
  'Sophie',
  'Linus',
  'Hedy',
  'John',
]
const LAST = [
  'Lovelace',
  'Hopper',
  'Turing',
  'Dijkstra',
  'Liskov',
  'Knuth',
  'Allen',
  'Thompson',
  'Hamilton',
  'Wirth',
  'Perlman',
  'Berners-Lee',
  'Wilson',
  'Torvalds',
  'Lamarr',
  'Backus',
]
const CITIES: [string, string, string][] = [
  ['Lyon', 'FR', '69002'],
  ['Paris', 'FR', '75011'],
  ['Berlin', 'DE', '10115'],
  ['Madrid', 'ES', '28004'],
  ['Milan', 'IT', '20121'],
  ['Lisbon', 'PT', '1100-148'],
  ['Amsterdam', 'NL', '1012'],
  ['Dublin', 'IE', 'D02'],
]
const PRODUCTS: [string, string, number][] = [
  ['SKU-100', 'Espresso beans 1kg', 2490],
  ['SKU-101', 'Ceramic mug', 1200],
  ['SKU-102', 'Milk frother', 3999],
  ['SKU-103', 'Paper filters x100', 450],
  ['SKU-104', 'Grinder', 8900],
  ['SKU-105', 'Tea sampler', 1850],
]
const TAGS = ['newsletter', 'wholesale', 'vip', 'returning', 'mobile', 'gift']

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`

/** Extended JSON (relaxed), as the connector writes a document. */
function extendedJson(c: Customer): string {
  const { _id, created_at, balance, loyalty, ...rest } = c
  return JSON.stringify({
    _id: { $oid: _id },
    ...rest,
    loyalty: { tier: loyalty.tier, points: { $numberLong: String(loyalty.points) } },
    created_at: { $date: created_at },
    balance: { $numberDecimal: balance },
  })
}

/** The seeded draws every part of the capture takes, in one sequence (the capture is the same on every run). */
interface Draws {
  next: () => number
  pick: <T>(xs: readonly T[]) => T
}

export function demoData(options: { customers?: number; changes?: number; orders?: number } = {}): DemoData {
  const next = random(20261125)
  const draws: Draws = { next, pick: (xs) => xs[Math.floor(next() * xs.length)] }
  const orderCount = options.orders ?? 600
  const { customers, docs, ids } = customerMessages(draws, options.customers ?? 120, options.changes ?? 400)
  const { orders, itemCount } = orderMessages(draws, ids, orderCount)
  return { customers, orders, finalCustomers: docs, orderCount, itemCount }
}

/** The customers collection through Debezium: the connector's snapshot, then inserts, deletes, full and partial updates. */
function customerMessages(
  draws: Draws,
  customerCount: number,
  changeCount: number,
): { customers: CapturedMessage[]; docs: Map<string, Customer>; ids: string[] } {
  const { next, pick } = draws
  let ts = Date.parse('2026-11-24T09:00:00Z')
  const customers: CapturedMessage[] = []
  const docs = new Map<string, Customer>()
  const ids: string[] = []
  const key = (id: string) => JSON.stringify({ id: JSON.stringify({ $oid: id }) })
  const send = (id: string, value: Record<string, unknown> | null) => {
    customers.push({
      topic: CUSTOMERS_TOPIC,
      partition: 0,
      offset: customers.length,
      ts,
      key: key(id),
      payload: value === null ? null : JSON.stringify(value),
      headers: [],
    })
  }
  const envelope = (op: string, after: string | null, updateDescription: unknown = null, snapshot = false) => ({
    before: null,
    after,
    updateDescription,
    op,
    ts_ms: ts + 4,
    source: {
      version: '2.7.3.Final',
      connector: 'mongodb',
      name: 'shop',
      ts_ms: ts,
      snapshot: snapshot ? 'true' : 'false',
      db: 'shop',
      collection: 'customers',
      ord: 1,
    },
  })
  const newCustomer = (n: number): Customer => {
    const [city, country, zip] = pick(CITIES)
    const first = pick(FIRST)
    const last = pick(LAST)
    return {
      _id: (0x6745a0000000 + n).toString(16).padStart(24, '0'),
      name: `${first} ${last}`,
      email: `${first}.${last}${n}@example.com`.toLowerCase(),
      ...(next() < 0.6 ? { phone: `+33 6 ${String(10_000_000 + Math.floor(next() * 89_999_999))}` } : {}),
      address: { street: `${1 + Math.floor(next() * 200)} rue de la Paix`, city, country, zip },
      tags: TAGS.filter(() => next() < 0.3),
      loyalty: { tier: 'bronze', points: Math.floor(next() * 500) },
      created_at: new Date(ts - Math.floor(next() * 1e10)).toISOString(),
      balance: money(Math.floor(next() * 50_000)),
    }
  }
  // The connector's initial snapshot.
  for (let n = 0; n < customerCount; n++) {
    const doc = newCustomer(n)
    docs.set(doc._id, doc)
    ids.push(doc._id)
    send(doc._id, envelope('r', extendedJson(doc), null, true))
  }
  for (let i = 0; i < changeCount; i++) {
    ts += 500 + Math.floor(next() * 5_000)
    const roll = next()
    if (roll < 0.12) {
      const doc = newCustomer(ids.length)
      docs.set(doc._id, doc)
      ids.push(doc._id)
      send(doc._id, envelope('c', extendedJson(doc)))
      continue
    }
    const id = pick(ids)
    const current = docs.get(id)
    if (!current) continue
    if (roll < 0.2) {
      docs.delete(id)
      send(id, envelope('d', null))
      send(id, null)
    } else if (roll < 0.45) {
      const doc: Customer = {
        ...current,
        email: current.email.replace('@example.com', '@mail.example.org'),
        loyalty: { ...current.loyalty, points: current.loyalty.points + 50 },
      }
      docs.set(id, doc)
      send(id, envelope('u', extendedJson(doc)))
    } else {
      const { doc, updateDescription } = partialUpdate(draws, current)
      docs.set(id, doc)
      send(id, envelope('u', null, updateDescription))
    }
  }
  return { customers, docs, ids }
}

/** An update the connector sends without the full document: the changed, removed and truncated fields. */
function partialUpdate(draws: Draws, current: Customer): { doc: Customer; updateDescription: Record<string, unknown> } {
  const { next, pick } = draws
  const doc: Customer = structuredClone(current)
  const updatedFields: Record<string, unknown> = {}
  const removedFields: string[] = []
  const truncatedArrays: { field: string; size: number }[] = []
  const [city, country, zip] = pick(CITIES)
  if (next() < 0.5) {
    doc.address.city = city
    doc.address.zip = zip
    doc.address.country = country
    Object.assign(updatedFields, { 'address.city': city, 'address.zip': zip, 'address.country': country })
  }
  doc.loyalty.points += 10 + Math.floor(next() * 90)
  doc.loyalty.tier = doc.loyalty.points > 600 ? 'gold' : doc.loyalty.points > 300 ? 'silver' : 'bronze'
  updatedFields['loyalty.points'] = { $numberLong: String(doc.loyalty.points) }
  updatedFields['loyalty.tier'] = doc.loyalty.tier
  if (doc.tags.length > 1 && next() < 0.3) {
    doc.tags = doc.tags.slice(0, 1)
    truncatedArrays.push({ field: 'tags', size: 1 })
  } else if (doc.tags.length > 0 && next() < 0.5) {
    doc.tags[0] = pick(TAGS)
    updatedFields['tags.0'] = doc.tags[0]
  }
  if (doc.phone !== undefined && next() < 0.3) {
    delete doc.phone
    removedFields.push('phone')
  }
  return {
    doc,
    updateDescription: {
      updatedFields: JSON.stringify(updatedFields),
      removedFields: removedFields.length ? removedFields : null,
      truncatedArrays: truncatedArrays.length ? truncatedArrays : null,
    },
  }
}

/** JSON orders with line items, spread over three partitions. */
function orderMessages(draws: Draws, ids: string[], orderCount: number): { orders: CapturedMessage[]; itemCount: number } {
  const { next, pick } = draws
  const orders: CapturedMessage[] = []
  let itemCount = 0
  let orderTs = Date.parse('2026-11-24T09:00:00Z')
  for (let n = 0; n < orderCount; n++) {
    orderTs += 1_000 + Math.floor(next() * 20_000)
    const partition = n % 3
    const items = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, line) => {
      const [sku, name, price] = pick(PRODUCTS)
      return { line: line + 1, sku, name, qty: 1 + Math.floor(next() * 3), unit_price: money(price) }
    })
    itemCount += items.length
    const total = items.reduce((sum, item) => sum + item.qty * Math.round(Number(item.unit_price) * 100), 0)
    const [city, country] = pick(CITIES)
    const order = {
      order_id: `ord-${String(100_000 + n)}`,
      customer_id: pick(ids),
      status: pick(['placed', 'placed', 'placed', 'paid', 'shipped']),
      placed_at: new Date(orderTs).toISOString(),
      currency: 'EUR',
      total: money(total),
      shipping: { method: pick(['standard', 'express', 'pickup']), address: { city, country } },
      items,
    }
    orders.push({
      topic: ORDERS_TOPIC,
      partition,
      offset: orders.filter((o) => o.partition === partition).length,
      ts: orderTs,
      key: order.order_id,
      payload: JSON.stringify(order),
      headers: ['source', 'checkout-service'],
    })
  }
  return { orders, itemCount }
}
