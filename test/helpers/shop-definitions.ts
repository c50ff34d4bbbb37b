/**
 * A small shop pipeline defined partly in SQL (Spark Declarative Pipelines): two capture files
 * (customers' change events, orders) into raw tables, a JSON flow, an AUTO CDC flow and a
 * streaming table from the definitions, and two materialized views (a join + aggregate with
 * expectations, and a view over it). Used by the editor's tests: the Pipelines view's events,
 * the definitions' diagnostics and the Pipeline Graph panel.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'

export const TABLES_SQL = `CREATE OR REFRESH STREAMING TABLE refined.customers;

CREATE FLOW customers_cdc AS AUTO CDC INTO refined.customers
FROM STREAM(raw.customer_events)
KEYS (customer_id)
APPLY AS DELETE WHEN operation = 'DELETE'
SEQUENCE BY seq
COLUMNS * EXCEPT (operation, seq)
STORED AS SCD TYPE 1;

CREATE OR REFRESH STREAMING TABLE refined.orders
AS SELECT order_id, customer_id, amount FROM STREAM(raw.orders);
`

export const VIEWS_SQL = `CREATE OR REFRESH MATERIALIZED VIEW business.customer_revenue (
  CONSTRAINT named EXPECT (name IS NOT NULL),
  CONSTRAINT no_refunds EXPECT (revenue >= 0) ON VIOLATION DROP ROW
)
AS SELECT c.customer_id, c.name, c.country, count(*) AS orders, sum(o.amount) AS revenue
FROM refined.customers c
JOIN refined.orders o ON o.customer_id = c.customer_id
GROUP BY c.customer_id, c.name, c.country;

CREATE MATERIALIZED VIEW business.revenue_by_country AS
SELECT country, sum(revenue) AS revenue FROM business.customer_revenue GROUP BY country;
`

export interface ShopPipeline {
  dir: string
  pipelineFile: string
  tablesSql: string
  viewsSql: string
}

/**
 * Writes the pipeline into `dir` (lake in `dir/lake`). `customersFile` names the customers'
 * capture (a test may give it a name with markup in it: it is shown as the source's label).
 */
export function writeShopPipeline(dir: string, options: { customersFile?: string; topic?: { name: string; brokers: string[] } } = {}): ShopPipeline {
  const customersFile = options.customersFile ?? 'customers.jsonl'
  mkdirSync(path.join(dir, 'sql'), { recursive: true })
  const tablesSql = path.join(dir, 'sql', 'tables.sql')
  const viewsSql = path.join(dir, 'sql', 'views.sql')
  writeFileSync(tablesSql, TABLES_SQL)
  writeFileSync(viewsSql, VIEWS_SQL)
  let seq = 0
  const customer = (id: number, name: string | null, country: string, operation = 'UPSERT') =>
    JSON.stringify({ customer_id: id, name, country, operation, seq: ++seq })
  writeFileSync(
    path.join(dir, customersFile),
    `${[customer(1, 'Ada', 'UK'), customer(2, 'Bob', 'US'), customer(3, null, 'FR'), customer(2, 'Bobby', 'US')].join('\n')}\n`,
  )
  const orders = [
    [1, 1, 10],
    [2, 1, 25],
    [3, 2, 7.5],
    [4, 3, 100],
    [5, 2, -80],
  ]
  writeFileSync(
    path.join(dir, 'orders.jsonl'),
    `${orders.map(([order_id, customer_id, amount]) => JSON.stringify({ order_id, customer_id, amount })).join('\n')}\n`,
  )
  const pipelineFile = path.join(dir, 'lakehouse.json')
  writeFileSync(
    pipelineFile,
    JSON.stringify(
      {
        lake: 'lake',
        ...(options.topic ? { kafka: { brokers: options.topic.brokers } } : {}),
        sources: [
          { name: 'customers', file: customersFile, format: 'json', table: 'raw.customer_events' },
          { name: 'orders', file: 'orders.jsonl', format: 'json', table: 'raw.orders' },
          ...(options.topic ? [{ name: 'clicks', topic: options.topic.name, format: 'json', table: 'raw.clicks' }] : []),
        ],
        flows: [{ name: 'big_orders', from: 'raw.orders', to: 'refined.big_orders', mode: 'append', transforms: [{ op: 'filter', where: 'amount >= 25' }] }],
        definitions: ['sql/*.sql'],
      },
      null,
      2,
    ),
  )
  return { dir, pipelineFile, tablesSql, viewsSql }
}

/** The jobs of the shop pipeline that run without a broker: its file sources and every flow. */
export const SHOP_FILE_JOBS = { sources: ['customers', 'orders'], flows: ['big_orders', 'customers_cdc', 'refined.orders'] }
