/**
 * Lineage benchmark: what each way of carrying a refined row's source costs.
 *
 * The lake: raw orders (JSON-like rows with Kafka columns), appended in V versions of R rows, and
 * raw Debezium customer events (creates, then updates and deletes); an append flow (flatten, cast,
 * select, as the demo's orders) and a cdc flow refine them, one raw version per refine commit.
 *
 *   - Carried: the same append flow with a `_source` column (topic, partition, offset) added before
 *     its select, as a flow would write it if lineage were stored. Write cost = refined bytes and
 *     refine time with the column ÷ without it (the ceiling: the flow as it is); median of 3, each
 *     on a fresh lake.
 *   - Replayed (what `trace TABLE --where` does; nothing written): tracing one refined row (append,
 *     and a cdc key changed several times); ceiling = reading the stored column: `SELECT _source
 *     FROM refined WHERE key = …` over the table that carries it. Median of 5 after 1 warm-up,
 *     interleaved; ratio = ms / ceiling ms.
 */
import { promises as fs } from 'node:fs'
import * as path from 'node:path'
import { appendQuery } from '../src/table/delta-writer'
import { LakeCatalog } from '../src/engine'
import type { LakeEngine } from '../src/engine/lake-engine'
import type { FlowSpec, Pipeline } from '../src/pipeline/pipeline-file'
import { refineFlow } from '../src/pipeline/refine'
import { runQuery, traceRows } from '../src/query'
import { interleaved, log, median, round, tempDir, timed } from './util'

export interface LineageBenchOptions {
  versions: number
  rowsPerVersion: number
  customers: number
  repetitions: number
}

const ORDERS: FlowSpec = {
  name: 'orders',
  from: 'raw.orders',
  to: 'refined.orders',
  mode: 'append',
  key: ['order_id'],
  batch: { maxVersions: 1 },
  transforms: [
    { op: 'flatten' },
    { op: 'cast', columns: { total: 'decimal(12,2)' } },
    { op: 'select', columns: ['order_id', 'customer_id', 'status', 'total', 'shipping_address_city', 'shipping_address_country'] },
  ],
}
const SOURCE_COLUMN = { op: 'sql' as const, query: `SELECT *, {'topic': _topic, 'partition': _partition, 'offset': _offset} AS _source FROM batch` }
const ORDERS_CARRIED: FlowSpec = {
  ...ORDERS,
  to: 'refined.orders_carried',
  transforms: [
    ORDERS.transforms![0],
    ORDERS.transforms![1],
    SOURCE_COLUMN,
    { op: 'select', columns: [...(ORDERS.transforms![2] as { columns: string[] }).columns, '_source'] },
  ],
}
const CUSTOMERS: FlowSpec = { name: 'customers', from: 'raw.customers', to: 'refined.customers', mode: 'cdc', key: ['id'], batch: { maxVersions: 1 } }

function ordersSql(first: number, count: number): string {
  return `SELECT 'shop.orders' AS _topic, (j % 8)::INTEGER AS _partition, ((${first} + j) // 8)::BIGINT AS _offset,
      make_timestamptz((1795514400000 + ${first} + j) * 1000) AS _timestamp, 'ord-' || (${first} + j) AS _key,
      MAP {}::MAP(VARCHAR, VARCHAR) AS _headers, false AS _tombstone,
      'ord-' || (${first} + j) AS order_id, 'cust-' || ((${first} + j) % 5000) AS customer_id,
      ['placed', 'paid', 'shipped'][1 + (j % 3)] AS status, ((j % 10000) / 100.0)::VARCHAR AS total,
      {'method': 'post', 'address': {'city': 'city ' || (j % 300), 'country': ['FR', 'DE', 'NL'][1 + (j % 3)]}} AS shipping
    FROM range(${count}) r(j)`
}

/** Debezium events: a create per key, then `round` updates of every key (one in ten a delete in the last round). */
function customersSql(customers: number, round: number, offset: number): string {
  const op = round === 0 ? `'c'` : `'u'`
  return `SELECT 'pg.public.customers' AS _topic, 0 AS _partition, (${offset} + j)::BIGINT AS _offset,
      make_timestamptz((1795514400000 + ${offset} + j) * 1000) AS _timestamp, '{"id":' || j || '}' AS _key,
      MAP {}::MAP(VARCHAR, VARCHAR) AS _headers, false AS _tombstone, ${op} AS op, (1795514400000 + ${offset} + j)::BIGINT AS ts_ms,
      NULL::STRUCT(id BIGINT, name VARCHAR, amount DOUBLE) AS before,
      {'id': j, 'name': 'customer ' || j || ' v${round}', 'amount': (j % 1000) / 10.0 + ${round}} AS after,
      {'ts_ms': (1795514400000 + ${offset} + j)::BIGINT, 'lsn': (${offset} + j)::BIGINT} AS source
    FROM range(${customers}) r(j)`
}

async function tableBytes(lake: LakeEngine, tablePath: string): Promise<number> {
  return (await lake.snapshot(tablePath)).files.reduce((n, f) => n + f.add.size, 0)
}

async function buildLake(lake: LakeEngine, options: LineageBenchOptions): Promise<{ base: string; catalog: LakeCatalog }> {
  const base = await tempDir('lineage')
  const catalog = new LakeCatalog(base, lake.io.storage)
  const cdf = { 'delta.enableChangeDataFeed': 'true' }
  for (let v = 0; v < options.versions; v++) {
    await appendQuery(
      lake,
      catalog.pathOf('raw.orders'),
      ordersSql(v * options.rowsPerVersion, options.rowsPerVersion),
      v === 0 ? { create: { properties: cdf } } : {},
    )
  }
  for (let round = 0; round < 4; round++) {
    await appendQuery(
      lake,
      catalog.pathOf('raw.customers'),
      customersSql(options.customers, round, round * options.customers),
      round === 0 ? { create: { properties: cdf } } : {},
    )
  }
  return { base, catalog }
}

export async function runLineageBench(lake: LakeEngine, options: LineageBenchOptions): Promise<Record<string, unknown>> {
  const rows = options.versions * options.rowsPerVersion
  log(`lineage: ${rows} orders in ${options.versions} versions, ${options.customers} customers changed 4 times`)
  const plain: { ms: number; bytes: number }[] = []
  const carried: { ms: number; bytes: number }[] = []
  let kept: { base: string; catalog: LakeCatalog } | undefined
  for (let r = 0; r < options.repetitions; r++) {
    const built = await buildLake(lake, options)
    // Alternate which goes first, so a warm cache favours neither.
    const order = r % 2 ? [ORDERS_CARRIED, ORDERS] : [ORDERS, ORDERS_CARRIED]
    for (const flow of order) {
      const { ms } = await timed(() => refineFlow(lake, built.catalog, flow, { untilCaughtUp: true }))
      const sample = { ms, bytes: await tableBytes(lake, built.catalog.pathOf(flow.to)) }
      ;(flow === ORDERS ? plain : carried).push(sample)
    }
    if (kept) await fs.rm(built.base, { recursive: true, force: true })
    else kept = built
  }
  const { base, catalog } = kept!
  await refineFlow(lake, catalog, CUSTOMERS, { untilCaughtUp: true })
  const pipeline: Pipeline = {
    file: path.join(base, 'lakehouse.json'),
    lake: '.',
    lakeDir: base,
    flows: [ORDERS, CUSTOMERS],
    sources: [
      { name: 'orders', topic: 'shop.orders', format: 'json', table: 'raw.orders' },
      { name: 'customers', topic: 'pg.public.customers', format: 'debezium', table: 'raw.customers' },
    ],
  }
  const orderId = `ord-${Math.floor(rows / 2) + 7}`
  const customerId = Math.floor(options.customers / 3)
  // Checked once: the replay finds the raw row the carried column names.
  const [traced] = await traceRows(lake, catalog, pipeline, 'refined.orders', `order_id = '${orderId}'`)
  const [stored] = (
    await runQuery(lake, catalog, `SELECT _source.offset AS o, _source.partition AS p FROM refined.orders_carried WHERE order_id = '${orderId}'`)
  ).rows
  if (traced.kind !== 'flow' || traced.origins[0]?.offset !== String(stored.o) || traced.origins[0]?.partition !== Number(stored.p))
    throw new Error(`lineage bench: the replay disagrees with the stored column: ${JSON.stringify(traced)} vs ${JSON.stringify(stored)}`)
  const [chain] = await traceRows(lake, catalog, pipeline, 'refined.customers', `id = ${customerId}`)
  if (chain.kind !== 'flow' || chain.origins.length !== 4) throw new Error(`lineage bench: expected a chain of 4 changes, got ${JSON.stringify(chain)}`)
  const samples = await interleaved(
    {
      replayAppend: () => traceRows(lake, catalog, pipeline, 'refined.orders', `order_id = '${orderId}'`),
      storedColumn: () => runQuery(lake, catalog, `SELECT _source FROM refined.orders_carried WHERE order_id = '${orderId}'`),
      replayCdc: () => traceRows(lake, catalog, pipeline, 'refined.customers', `id = ${customerId}`),
    },
    5,
    1,
  )
  const m = (xs: number[]) => median(xs)
  const plainBytes = m(plain.map((s) => s.bytes))
  const carriedBytes = m(carried.map((s) => s.bytes))
  return {
    rows,
    refineCommits: options.versions,
    rowsPerRefineCommit: options.rowsPerVersion,
    customers: options.customers,
    carried: {
      bytesWithout: plainBytes,
      bytesWith: carriedBytes,
      bytesPerRow: round((carriedBytes - plainBytes) / rows, 2),
      bytesRatio: round(carriedBytes / plainBytes, 3),
      refineMsWithout: round(m(plain.map((s) => s.ms)), 0),
      refineMsWith: round(m(carried.map((s) => s.ms)), 0),
      refineTimeRatio: round(m(carried.map((s) => s.ms)) / m(plain.map((s) => s.ms)), 3),
    },
    replayed: {
      bytesWritten: 0,
      traceAppendRowMs: round(m(samples.replayAppend), 0),
      traceCdcRowMs: round(m(samples.replayCdc), 0),
      storedColumnMs: round(m(samples.storedColumn), 1),
      appendRatio: round(m(samples.replayAppend) / m(samples.storedColumn), 1),
      cdcRatio: round(m(samples.replayCdc) / m(samples.storedColumn), 1),
    },
  }
}
