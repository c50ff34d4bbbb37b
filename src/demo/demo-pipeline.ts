/**
 * The demo's pipeline file: the two captured topics (or the same topics on a broker) into raw,
 * and two flows into refined: customers upserted and deleted by id and flattened, orders appended
 * with their line items exploded into a child table.
 */
import type { PipelineSpec } from '../pipeline'
import { CUSTOMERS_TOPIC, ORDERS_TOPIC } from './demo-data'

const flows: PipelineSpec['flows'] = [
  {
    name: 'customers',
    from: 'raw.customers',
    to: 'refined.customers',
    mode: 'cdc',
    key: ['customer_id'],
    // One raw version per refine commit, so the refined change feed shows the story step by step.
    batch: { maxVersions: 1 },
    transforms: [{ op: 'flatten' }, { op: 'rename', columns: { _id: 'customer_id' } }, { op: 'cast', columns: { balance: 'decimal(12,2)' } }],
  },
  {
    name: 'orders',
    from: 'raw.orders',
    to: 'refined.orders',
    mode: 'append',
    key: ['order_id'],
    transforms: [
      { op: 'explode', column: 'items', into: 'refined.order_items' },
      { op: 'flatten' },
      { op: 'cast', columns: { total: 'decimal(12,2)' } },
      {
        op: 'select',
        columns: [
          'order_id',
          'customer_id',
          'status',
          'placed_at',
          'currency',
          'total',
          'shipping_method',
          'shipping_address_city',
          'shipping_address_country',
          '_offset',
        ],
      },
    ],
  },
]

export function filePipeline(): PipelineSpec {
  return {
    lake: 'lake',
    sources: [
      { name: 'customers', file: 'captures/customers.jsonl', format: 'debezium-mongodb', table: 'raw.customers', batch: { maxMessages: 100 } },
      { name: 'orders', file: 'captures/orders.jsonl', format: 'json', table: 'raw.orders', batch: { maxMessages: 200 } },
    ],
    flows,
  }
}

export function kafkaPipeline(broker: string): PipelineSpec {
  return {
    lake: 'lake-kafka',
    kafka: { brokers: [broker], clientId: 'lakehouse-demo' },
    sources: [
      {
        name: 'customers',
        topic: CUSTOMERS_TOPIC,
        format: 'debezium-mongodb',
        table: 'raw.customers',
        startingOffsets: 'earliest',
        batch: { maxMessages: 100 },
      },
      { name: 'orders', topic: ORDERS_TOPIC, format: 'json', table: 'raw.orders', startingOffsets: 'earliest', batch: { maxMessages: 200 } },
    ],
    flows,
  }
}
