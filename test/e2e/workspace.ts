/**
 * The folder the end-to-end tests open: a small lake written by the engine (raw.orders with the
 * change data feed and two versions, refined.customers), a pipeline file with a file source (a
 * captured topic, so no broker is needed; two of its lines are not JSON, dead letters once run), a
 * flow refining it, and a SASL cluster for the password tests, a pipeline file with a problem, and
 * a .sql file.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { LakeEngine } from '../../src/engine'
import { appendQuery } from '../../src/table'

export const E2E_KAFKA_USER = 'e2e-user'
/** What the query in queries/orders.sql answers: a value no other text on the page has. */
export const QUERY_MARKER = 'e2e-orders-15'

/**
 * A pipeline defined in SQL (Spark Declarative Pipelines) over the lake's tables, in
 * business.lakehouse.json: what the Pipeline Graph and the definitions' diagnostics are tried on.
 */
export const BUSINESS_SQL = `CREATE MATERIALIZED VIEW business.customer_totals AS
SELECT o.customer, c.name, count(*) AS orders, sum(o.amount) AS total
FROM raw.orders o JOIN refined.customers c ON c.customer = o.customer
GROUP BY o.customer, c.name;
`

/** The topic of the broker-backed pipeline (clicks.lakehouse.json) and how many messages it holds. */
export const CLICKS_TOPIC = 'shop.clicks'
export const CLICKS_MESSAGES = 40

/** A second pipeline file, reading a topic from a real (mock) broker into raw.clicks. */
export function writeKafkaPipeline(dir: string, brokers: string[]): void {
  writeFileSync(
    path.join(dir, 'clicks.lakehouse.json'),
    `${JSON.stringify(
      {
        lake: './lake',
        // The mock cluster wants short waits and session timeouts (test/kafka/broker.ts).
        kafka: { brokers, clientId: 'lakehouse-e2e', consumer: { sessionTimeout: 4000, heartbeatInterval: 1000, maxWaitTimeInMs: 100 } },
        sources: [{ name: 'clicks', topic: CLICKS_TOPIC, format: 'json', table: 'raw.clicks', startingOffsets: 'earliest' }],
      },
      null,
      2,
    )}\n`,
  )
}

export async function buildWorkspace(dir: string): Promise<void> {
  const lake = new LakeEngine()
  try {
    const orders = path.join(dir, 'lake', 'raw', 'orders')
    await appendQuery(lake, orders, `SELECT range AS id, 'c' || (range % 4) AS customer, (range * 2.5)::DOUBLE AS amount FROM range(10)`, {
      create: { properties: { 'delta.enableChangeDataFeed': 'true' } },
    })
    await appendQuery(lake, orders, `SELECT range + 10 AS id, 'c9' AS customer, 1.0::DOUBLE AS amount FROM range(5)`)
    await appendQuery(lake, path.join(dir, 'lake', 'refined', 'customers'), `SELECT 'c' || range AS customer, 'name ' || range AS name FROM range(4)`)
  } finally {
    await lake.close()
  }
  mkdirSync(path.join(dir, 'captures'), { recursive: true })
  const events = Array.from({ length: 25 }, (_, i) =>
    JSON.stringify({ id: i, kind: i % 2 ? 'click' : 'view', at: `2026-11-24T10:00:${String(i).padStart(2, '0')}Z` }),
  )
  // Two lines JSON cannot parse, after the 25 good ones: the run makes them dead letters (offsets 25 and 26).
  const notJson = ['{"id":25,"kind":"view",}', '{"id":26,"kind":oops}']
  writeFileSync(path.join(dir, 'captures', 'events.jsonl'), `${[...events, ...notJson].join('\n')}\n`)
  writeFileSync(
    path.join(dir, 'lakehouse.json'),
    `${JSON.stringify(
      {
        lake: './lake',
        // Nothing listens on port 9; the cluster is here for the password commands and the Kafka view.
        kafka: { brokers: ['127.0.0.1:9'], sasl: { mechanism: 'plain', username: E2E_KAFKA_USER, passwordEnv: 'E2E_KAFKA_PASSWORD' } },
        sources: [{ name: 'events', file: 'captures/events.jsonl', format: 'json', table: 'raw.events' }],
        // A flow runs until it is stopped: what keeps the pipeline (and the status bar) up in the tests.
        flows: [{ name: 'events_refined', from: 'raw.events', to: 'refined.events', mode: 'append' }],
      },
      null,
      2,
    )}\n`,
  )
  writeFileSync(
    path.join(dir, 'broken.lakehouse.json'),
    `{
  "lake": "./lake",
  "sources": [
    { "name": "bad", "file": "captures/events.jsonl", "format": "jsn", "table": "raw.bad" }
  ]
}
`,
  )
  mkdirSync(path.join(dir, 'queries'), { recursive: true })
  writeFileSync(path.join(dir, 'queries', 'orders.sql'), `SELECT 'e2e-orders-' || count(*) AS marker FROM raw.orders\n`)
  // For Show source, once the pipeline has ingested the capture (the marker column is computed, not the table's).
  writeFileSync(path.join(dir, 'queries', 'source.sql'), `SELECT _partition, _offset, id, kind, 'show-source-e2e' AS marker FROM raw.events WHERE id = 7\n`)
  // For the .sql editor: completion after "raw.", and a table name with a typo.
  writeFileSync(path.join(dir, 'queries', 'complete.sql'), 'SELECT * FROM raw.')
  writeFileSync(path.join(dir, 'queries', 'typo.sql'), `SELECT count(*) FROM raw.ordrs;\nSELECT * FROM refined.customers;\n`)
  mkdirSync(path.join(dir, 'business'), { recursive: true })
  writeFileSync(path.join(dir, 'business', 'totals.sql'), BUSINESS_SQL)
  writeFileSync(path.join(dir, 'business.lakehouse.json'), `${JSON.stringify({ lake: './lake', sources: [], definitions: ['business/*.sql'] }, null, 2)}\n`)
}
