/**
 * The schemas in ./registry and Confluent-framed messages made from them with independent
 * encoders: protobufjs's own encoder and Writer (the message indexes are zig-zag varints, its
 * `sint32`), JSON.stringify for JSON Schema. The decoder under test never writes these bytes.
 */
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import protobuf from 'protobufjs'
import { LocalRegistry } from '../helpers/schema-registry'

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'registry')
export const registryFile = (name: string): string => readFileSync(path.join(dir, name), 'utf8')

/** Header: magic 0 and the schema id, big-endian. */
export function header(id: number): Buffer {
  const out = Buffer.alloc(5)
  out.writeUInt32BE(id, 1)
  return out
}

/** The Confluent message indexes: the one-byte [0] shorthand, or a count and the indexes, each a zig-zag varint. */
export function messageIndexes(indexes: number[], shorthand = true): Buffer {
  if (shorthand && indexes.length === 1 && indexes[0] === 0) return Buffer.from(protobuf.Writer.create().sint32(0).finish())
  const writer = protobuf.Writer.create().sint32(indexes.length)
  for (const index of indexes) writer.sint32(index)
  return Buffer.from(writer.finish())
}

/** A protobufjs Root holding the test's .proto files (for the producer side only). */
export function producerRoot(files: string[]): protobuf.Root {
  const root = new protobuf.Root()
  for (const name of files) protobuf.parse(registryFile(name), root, { keepCase: true })
  for (const common of ['timestamp', 'wrappers', 'struct', 'duration'])
    root.addJSON((protobuf.common.get(`google/protobuf/${common}.proto`) as { nested: protobuf.INamespace['nested'] }).nested!)
  // orders.proto's confluent/meta.proto import only carries options.
  root.resolveAll()
  return root
}

export function encodeProtobuf(root: protobuf.Root, typeName: string, id: number, indexes: number[], value: Record<string, unknown>, shorthand = true): Buffer {
  const type = root.lookupType(typeName)
  const built = type.fromObject(value)
  const problem = type.verify(built)
  if (problem) throw new Error(`test value for ${typeName}: ${problem}`)
  return Buffer.concat([header(id), messageIndexes(indexes, shorthand), Buffer.from(type.encode(built).finish())])
}

export function encodeJsonSchema(id: number, value: unknown): Buffer {
  return Buffer.concat([header(id), Buffer.from(JSON.stringify(value), 'utf8')])
}

/** Schema ids of the test registry. */
export const IDS = { money: 20, orders: 21, debezium: 22, address: 30, order: 31, customers: 32 } as const

/** Registers every schema of ./registry as a Protobuf or JSON Schema producer would. */
export function registerAll(registry: LocalRegistry): void {
  registry.register(IDS.money, 'common-money', 1, { schema: registryFile('money.proto'), schemaType: 'PROTOBUF' })
  registry.register(IDS.orders, 'orders-value', 1, {
    schema: registryFile('orders.proto'),
    schemaType: 'PROTOBUF',
    references: [{ name: 'common/money.proto', subject: 'common-money', version: 1 }],
  })
  registry.register(IDS.debezium, 'dbserver1.shop.customers-value', 1, { schema: registryFile('debezium.proto'), schemaType: 'PROTOBUF' })
  registry.register(IDS.address, 'address', 3, { schema: registryFile('address.schema.json'), schemaType: 'JSON' })
  registry.register(IDS.order, 'json-orders-value', 1, {
    schema: registryFile('order.schema.json'),
    schemaType: 'JSON',
    references: [{ name: 'address.json', subject: 'address', version: 3 }],
  })
  registry.register(IDS.customers, 'json-customers-value', 1, { schema: registryFile('customers-envelope.schema.json'), schemaType: 'JSON' })
}
