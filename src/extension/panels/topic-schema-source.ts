/**
 * Where the topic panel says a sample's schema comes from: inferred from the values, a Kafka
 * Connect `schema` in each message, or the Schema Registry (subject and version, looked up with a
 * short timeout so a slow registry never holds the panel).
 */
import { usesSchemaRegistry, type DecoderOptions, type Format } from '../../decode'
import type { SchemaSource } from '../../../webview/shared/protocol'
import type { SampledMessage } from './topic-sample-view'

const REGISTRY_TIMEOUT_MS = 3_000
const lenientUtf8 = new TextDecoder('utf-8')

/** What of the topic's source decides: its format, and its registry when it has one. */
export interface SchemaSourceInput {
  format: Format
  schemaRegistry?: DecoderOptions['schemaRegistry']
}

/**
 * Where the sample's schema comes from: the Schema Registry for Avro, Protobuf and JSON Schema (the id in the messages, and
 * the subject and version when the registry says, `GET /schemas/ids/{id}/versions`); a Kafka
 * Connect `schema` when the values carry JsonConverter's envelope; else inferred from the values.
 */
export async function schemaSourceOf(sampled: SampledMessage[], source: SchemaSourceInput): Promise<SchemaSource> {
  const values = sampled.map((s) => s.message.value).filter((v): v is Uint8Array => v !== null && v.length > 0)
  if (usesSchemaRegistry(source.format)) {
    const framed = values.find((v) => v.length >= 5 && v[0] === 0)
    if (!framed) return { kind: 'registry' }
    const id = new DataView(framed.buffer, framed.byteOffset, framed.byteLength).getUint32(1)
    const found = source.schemaRegistry ? await registryVersion(source.schemaRegistry, id) : undefined
    return { kind: 'registry', id, ...(found ?? {}) }
  }
  for (const value of values.slice(0, 20)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(lenientUtf8.decode(value))
    } catch {
      continue
    }
    if (parsed && typeof parsed === 'object' && 'schema' in parsed && 'payload' in parsed) {
      const schema = (parsed as { schema: unknown }).schema
      if (!schema || typeof schema !== 'object') continue
      const { name, version } = schema as { name?: unknown; version?: unknown }
      return {
        kind: 'connect',
        ...(typeof name === 'string' ? { name: name.slice(0, 4096) } : {}),
        ...(Number.isSafeInteger(version) && (version as number) >= 0 ? { version: version as number } : {}),
      }
    }
  }
  return { kind: 'inferred' }
}

async function registryVersion(registry: NonNullable<DecoderOptions['schemaRegistry']>, id: number): Promise<{ subject: string; version: number } | undefined> {
  const headers: Record<string, string> = { Accept: 'application/vnd.schemaregistry.v1+json, application/json' }
  if (registry.username !== undefined) headers.Authorization = `Basic ${Buffer.from(`${registry.username}:${registry.password ?? ''}`).toString('base64')}`
  try {
    const response = await (registry.fetch ?? fetch)(`${registry.url.replace(/\/+$/, '')}/schemas/ids/${id}/versions`, {
      headers,
      signal: AbortSignal.timeout(REGISTRY_TIMEOUT_MS),
    })
    if (!response.ok) return undefined
    const body: unknown = await response.json()
    const first = Array.isArray(body) ? (body[0] as { subject?: unknown; version?: unknown } | undefined) : undefined
    return typeof first?.subject === 'string' && Number.isSafeInteger(first.version)
      ? { subject: first.subject.slice(0, 4096), version: first.version as number }
      : undefined
  } catch {
    // The subject is a nicety: an older registry or a network hiccup leaves the id alone.
    return undefined
  }
}
