/**
 * What the three Schema Registry decoders (avro, protobuf, json-schema) share: the registered
 * schema of an id, refused when it is of another kind (naming the format that reads it), and a
 * per-id cache of what each decoder compiles from it.
 */
import { ValueError } from './errors'
import type { RegisteredSchema, SchemaRegistry } from './schema-registry'

export type SchemaFailure = { ok: false; reason: string; detail: string }

export type RegistryKind = 'AVRO' | 'PROTOBUF' | 'JSON'

const KINDS: Record<RegistryKind, { format: string; schema: string; short: string }> = {
  AVRO: { format: 'avro', schema: 'an Avro schema', short: 'Avro' },
  PROTOBUF: { format: 'protobuf', schema: 'a Protobuf schema', short: 'Protobuf' },
  JSON: { format: 'json-schema', schema: 'a JSON Schema', short: 'JSON Schema' },
}

/** The schema registered under `id` when it is of `kind`; else why its messages are dead letters. */
export async function registeredSchema(
  registry: SchemaRegistry,
  id: number,
  kind: RegistryKind,
): Promise<{ ok: true; registered: RegisteredSchema } | SchemaFailure> {
  const registered = await registry.schemaById(id)
  if (!registered) return { ok: false, reason: 'unknown-schema-id', detail: `schema id ${id} is not in the schema registry` }
  const type = registered.schemaType.toUpperCase()
  if (type === kind) return { ok: true, registered }
  const other = Object.hasOwn(KINDS, type) ? KINDS[type as RegistryKind] : undefined
  const what = other
    ? `${other.schema}, not ${KINDS[kind].short}: read this topic with the format ${other.format}`
    : `of type ${registered.schemaType}, not ${KINDS[kind].short}`
  return { ok: false, reason: 'unsupported-framing', detail: `schema ${id} is ${what}` }
}

/**
 * One load per schema id, shared by the messages decoded meanwhile (a promise). A failure that may
 * pass (an id or reference not registered yet, a registry that did not answer) is asked again next
 * time; any other result is kept.
 */
export function cachePerSchemaId<T extends { ok: boolean; reason?: string }>(load: (id: number) => Promise<T>): (id: number) => Promise<T> {
  const loaded = new Map<number, Promise<T>>()
  return (id) => {
    let pending = loaded.get(id)
    if (!pending) {
      pending = load(id)
      loaded.set(id, pending)
      pending.then(
        (result) => {
          if (!result.ok && result.reason?.startsWith('unknown-')) loaded.delete(id)
        },
        () => loaded.delete(id),
      )
    }
    return pending
  }
}

/**
 * What a decoder compiles from each schema id's registered schema of `kind`, loaded once per id
 * (cachePerSchemaId). A schema that cannot be compiled (a ValueError) makes its messages dead
 * letters with the error's reason; `detail` words it (default: the error's message).
 */
export function compiledPerSchemaId<T extends { ok: boolean; reason?: string }>(
  registry: SchemaRegistry,
  kind: RegistryKind,
  compile: (registered: RegisteredSchema, id: number) => T | Promise<T>,
  detail: (id: number, message: string) => string = (_id, message) => message,
): (id: number) => Promise<T | SchemaFailure> {
  return cachePerSchemaId(async (id): Promise<T | SchemaFailure> => {
    const found = await registeredSchema(registry, id, kind)
    if (!found.ok) return found
    try {
      return await compile(found.registered, id)
    } catch (error) {
      if (!(error instanceof ValueError)) throw error
      return { ok: false, reason: error.reason, detail: detail(id, error.message) }
    }
  })
}
