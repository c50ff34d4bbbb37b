/**
 * A Protobuf schema from the registry as protobufjs types: the .proto text the registry returns
 * (GET /schemas/ids/{id}) parsed with the field names as written (keepCase), its imports
 * satisfied by the schema's `references` (each fetched by subject and version, recursively), by
 * the google/protobuf well-known types protobufjs ships, or by the few files Confluent's registry
 * knows without references (confluent/meta.proto, confluent/type/decimal.proto,
 * google/type/date.proto, google/type/timeofday.proto). An import none of these satisfies is left
 * out: it matters only if a field uses one of its types, and then the error names it.
 *
 * The messages a frame's indexes point into are the main file's, in declaration order, so the
 * main file is parsed first, before any reference can add types to its package.
 */
import protobuf from 'protobufjs'
import descriptor from 'protobufjs/google/protobuf/descriptor.json'
import { ValueError } from './errors'
import type { RegisteredSchema, SchemaRegistry } from './schema-registry'

type Nested = Record<string, unknown>

const field = (type: string, id: number, rule?: string) => ({ type, id, ...(rule ? { rule } : {}) })
const inPackage = (path: string[], types: Nested): Nested => path.reduceRight<Nested>((nested, name) => ({ [name]: { nested } }), types)

/** What Confluent's registry resolves without a reference, as protobufjs JSON descriptors. */
const CONFLUENT_KNOWN: Record<string, Nested> = {
  'confluent/meta.proto': inPackage(['confluent'], {
    Meta: { fields: { doc: field('string', 1), params: { keyType: 'string', type: 'string', id: 2 }, tags: field('string', 3, 'repeated') } },
  }),
  'confluent/type/decimal.proto': inPackage(['confluent', 'type'], {
    Decimal: { fields: { value: field('bytes', 1), precision: field('uint32', 2), scale: field('int32', 3) } },
  }),
  'google/type/date.proto': inPackage(['google', 'type'], {
    Date: { fields: { year: field('int32', 1), month: field('int32', 2), day: field('int32', 3) } },
  }),
  'google/type/timeofday.proto': inPackage(['google', 'type'], {
    TimeOfDay: { fields: { hours: field('int32', 1), minutes: field('int32', 2), seconds: field('int32', 3), nanos: field('int32', 4) } },
  }),
}

function knownFile(name: string): Nested | undefined {
  if (name === 'google/protobuf/descriptor.proto') return (descriptor as { nested: Nested }).nested
  const common = protobuf.common.get(name) as { nested: Nested } | null
  return common?.nested ?? CONFLUENT_KNOWN[name]
}

/** References nest: a schema more than this deep in imports is a cycle the registry should not hold. */
const MAX_REFERENCE_DEPTH = 32

export interface ProtobufSchema {
  root: protobuf.Root
  /** The main file's top-level messages, in declaration order: what message index 0, 1, … name. */
  messages: protobuf.Type[]
}

/**
 * The schema's types, resolved. Throws a ValueError (reason `unsupported-schema` or
 * `unknown-schema-reference`) for a schema that cannot be used, and a DecodeError when the
 * registry cannot be reached for a reference.
 */
export async function loadProtobufSchema(main: RegisteredSchema, registry: SchemaRegistry): Promise<ProtobufSchema> {
  const root = new protobuf.Root()
  const loaded = new Set<string>()
  const parsed = parseInto(root, main.schema, `schema ${main.id}`)
  const namespace = parsed.package ? root.lookup(parsed.package) : root
  const messages = namespace instanceof protobuf.Namespace ? namespace.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type) : []

  async function addImports(schema: RegisteredSchema, imports: string[], depth: number): Promise<void> {
    if (depth > MAX_REFERENCE_DEPTH) throw new ValueError(`schema ${main.id}: references nest deeper than ${MAX_REFERENCE_DEPTH}`, 'unsupported-schema')
    for (const name of imports) {
      if (loaded.has(name)) continue
      loaded.add(name)
      const reference = schema.references.find((r) => r.name === name)
      if (reference) {
        const found = await registry.schemaByVersion(reference.subject, reference.version)
        if (!found)
          throw new ValueError(
            `schema ${main.id}: the import ${name} refers to subject ${reference.subject} version ${reference.version}, which the registry does not have`,
            'unknown-schema-reference',
          )
        const inner = parseInto(root, found.schema, `${name} (subject ${reference.subject} version ${reference.version})`)
        await addImports(found, [...(inner.imports ?? []), ...(inner.weakImports ?? [])], depth + 1)
        continue
      }
      const known = knownFile(name)
      if (known) root.addJSON(known as Parameters<protobuf.Root['addJSON']>[0])
    }
  }

  await addImports(main, [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])], 0)
  try {
    root.resolveAll()
  } catch (error) {
    const missing = /no such Type or Enum '([^']+)' in (\S+ \S+)|no such type: (\S+)/.exec((error as Error).message)
    const hint = missing
      ? `: no import or reference defines ${missing[1] ?? missing[3]}${missing[2] ? ` (used in ${missing[2].replace(' .', ' ')})` : ''}`
      : `: ${(error as Error).message}`
    throw new ValueError(`schema ${main.id}${hint}`, 'unsupported-schema')
  }
  if (messages.length === 0) throw new ValueError(`schema ${main.id} declares no message`, 'unsupported-schema')
  return { root, messages }
}

function parseInto(root: protobuf.Root, text: string, what: string): protobuf.IParserResult {
  try {
    return protobuf.parse(text, root, { keepCase: true, alternateCommentMode: true })
  } catch (error) {
    throw new ValueError(`${what} is not a .proto file protobufjs can read: ${(error as Error).message}`, 'unsupported-schema')
  }
}

/** The message a frame's indexes name: [i] is the main file's i-th message, [i, j] the j-th message nested in it, … */
export function messageAt(schema: ProtobufSchema, indexes: number[]): protobuf.Type | undefined {
  let candidates = schema.messages
  let found: protobuf.Type | undefined
  for (const index of indexes) {
    found = candidates[index]
    if (!found) return undefined
    candidates = found.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)
  }
  return found
}
