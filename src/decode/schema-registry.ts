/**
 * Schemas by id from a Confluent-compatible schema registry (`GET {url}/schemas/ids/{id}`),
 * fetched once per id and shared by concurrent callers. An id the registry does not know (404)
 * is the message's problem and is not cached (the schema may yet be registered); anything else
 * going wrong (network, 5xx, auth) throws a DecodeError, so the job retries rather than
 * dead-letters messages that are fine.
 */
import { DecodeError } from './errors'

export interface RegisteredSchema {
  id: number
  /** 'AVRO' when the registry does not say (its default), else 'JSON' or 'PROTOBUF'. */
  schemaType: string
  schema: string
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
}

const TIMEOUT_MS = 10_000

export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistry {
  const base = options.url.replace(/\/+$/, '')
  const doFetch = options.fetch ?? fetch
  const headers: Record<string, string> = { Accept: 'application/vnd.schemaregistry.v1+json, application/json' }
  if (options.username !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`
  }
  const cache = new Map<number, Promise<RegisteredSchema | undefined>>()

  async function load(id: number): Promise<RegisteredSchema | undefined> {
    const url = `${base}/schemas/ids/${id}`
    let response: Response
    try {
      response = await doFetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) })
    } catch (cause) {
      throw new DecodeError(`schema registry ${base} did not answer for schema ${id}: ${(cause as Error).message}`, { retriable: true, cause })
    }
    if (response.status === 404) {
      await response.body?.cancel()
      return undefined
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '')
      const retriable = response.status >= 500 || response.status === 429
      throw new DecodeError(`schema registry ${base} answered ${response.status} for schema ${id}: ${text.slice(0, 200)}`, { retriable })
    }
    let body: { schema?: unknown; schemaType?: unknown }
    try {
      body = (await response.json()) as typeof body
    } catch (cause) {
      throw new DecodeError(`schema registry ${base} sent a response for schema ${id} that is not JSON`, { retriable: true, cause })
    }
    if (typeof body.schema !== 'string') throw new DecodeError(`schema registry ${base} sent no schema text for schema ${id}`, { retriable: false })
    return { id, schemaType: typeof body.schemaType === 'string' ? body.schemaType : 'AVRO', schema: body.schema }
  }

  return {
    schemaById(id: number) {
      let pending = cache.get(id)
      if (!pending) {
        pending = load(id)
        cache.set(id, pending)
        pending.then((found) => { if (!found) cache.delete(id) }, () => cache.delete(id))
      }
      return pending
    },
  }
}
