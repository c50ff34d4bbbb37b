/**
 * Schemas by id from a Confluent-compatible schema registry (`GET {url}/schemas/ids/{id}`), and
 * the schemas they reference (Protobuf imports, JSON Schema `$ref`s) by subject and version
 * (`GET {url}/subjects/{subject}/versions/{version}`), each fetched once and shared by concurrent
 * callers. A schema the registry does not know (404) is the message's problem and is not cached
 * (it may yet be registered); anything else going wrong (network, 5xx, auth) throws a
 * DecodeError (`retriable` when waiting may help), so the job stops before writing the batch and
 * its next run reads it again, rather than dead-lettering messages that are fine.
 */
import { DecodeError } from './errors'

/** A reference of a schema: `name` is how the schema names it (a Protobuf import path, a JSON Schema `$ref`). */
export interface SchemaReference {
  name: string
  subject: string
  version: number
}

export interface RegisteredSchema {
  id: number
  /** 'AVRO' when the registry does not say (its default), else 'JSON' or 'PROTOBUF'. */
  schemaType: string
  schema: string
  references: SchemaReference[]
}

export interface SchemaRegistryOptions {
  url: string
  username?: string
  password?: string
  fetch?: typeof fetch
}

export interface SchemaRegistry {
  /** The schema, or undefined when the registry has no schema with this id. */
  schemaById(id: number): Promise<RegisteredSchema | undefined>
  /** A referenced schema (or a subject's latest, for producing), or undefined when the registry has no such subject or version. */
  schemaByVersion(subject: string, version: number | 'latest'): Promise<RegisteredSchema | undefined>
}

const TIMEOUT_MS = 10_000

export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistry {
  const base = options.url.replace(/\/+$/, '')
  const doFetch = options.fetch ?? fetch
  const headers: Record<string, string> = { Accept: 'application/vnd.schemaregistry.v1+json, application/json' }
  if (options.username !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`
  }
  const cache = new Map<string, Promise<RegisteredSchema | undefined>>()

  async function load(path: string, what: string): Promise<RegisteredSchema | undefined> {
    const url = `${base}${path}`
    let response: Response
    try {
      response = await doFetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) })
    } catch (cause) {
      throw new DecodeError(`schema registry ${base} did not answer for ${what}: ${(cause as Error).message}`, { retriable: true, cause })
    }
    if (response.status === 404) {
      await response.body?.cancel()
      return undefined
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '')
      const retriable = response.status >= 500 || response.status === 429
      throw new DecodeError(`schema registry ${base} answered ${response.status} for ${what}: ${text.slice(0, 200)}`, { retriable })
    }
    let body: { id?: unknown; schema?: unknown; schemaType?: unknown; references?: unknown }
    try {
      body = (await response.json()) as typeof body
    } catch (cause) {
      throw new DecodeError(`schema registry ${base} sent a response for ${what} that is not JSON`, { retriable: true, cause })
    }
    if (typeof body.schema !== 'string') throw new DecodeError(`schema registry ${base} sent no schema text for ${what}`, { retriable: false })
    return {
      id: typeof body.id === 'number' ? body.id : -1,
      schemaType: typeof body.schemaType === 'string' ? body.schemaType : 'AVRO',
      schema: body.schema,
      references: referencesOf(body.references),
    }
  }

  function cached(key: string, fetchOne: () => Promise<RegisteredSchema | undefined>): Promise<RegisteredSchema | undefined> {
    let pending = cache.get(key)
    if (!pending) {
      pending = fetchOne()
      cache.set(key, pending)
      pending.then(
        (found) => {
          if (!found) cache.delete(key)
        },
        () => cache.delete(key),
      )
    }
    return pending
  }

  return {
    schemaById(id: number) {
      return cached(`id ${id}`, async () => {
        const found = await load(`/schemas/ids/${id}`, `schema ${id}`)
        return found && { ...found, id }
      })
    },
    schemaByVersion(subject: string, version: number | 'latest') {
      return cached(`subject ${version} ${subject}`, () =>
        load(`/subjects/${encodeURIComponent(subject)}/versions/${version}`, `subject ${subject} version ${version}`),
      )
    },
  }
}

function referencesOf(value: unknown): SchemaReference[] {
  if (!Array.isArray(value)) return []
  return value.flatMap((r: { name?: unknown; subject?: unknown; version?: unknown }) =>
    typeof r?.name === 'string' && typeof r.subject === 'string' && Number.isSafeInteger(r.version)
      ? [{ name: r.name, subject: r.subject, version: r.version as number }]
      : [],
  )
}
