/**
 * A Confluent-compatible schema registry on 127.0.0.1 (a real HTTP server, random port) that
 * answers GET /schemas/ids/{id}, /schemas/ids/{id}/versions and
 * /subjects/{subject}/versions/{version|latest} (schemas put in with `register`), records the paths it
 * was asked for, and can check Basic auth or fail the next requests with a 500.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

type Reference = { name: string; subject: string; version: number }
type Stored = { schema: string; schemaType?: string; references?: Reference[] }

export class LocalRegistry {
  readonly schemas = new Map<number, Stored>()
  /** `subject/version` → the schema's id, for the subject routes. */
  readonly versions = new Map<string, number>()
  /** The paths requested, in order. */
  readonly requests: string[] = []
  failNext = 0
  credentials?: string
  private server?: Server

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      this.requests.push(request.url ?? '')
      if (this.credentials && request.headers.authorization !== `Basic ${Buffer.from(this.credentials).toString('base64')}`) {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"error_code":401,"message":"Unauthorized"}')
        return
      }
      if (this.failNext > 0) {
        this.failNext--
        response.writeHead(500).end('{"error_code":50001,"message":"store error"}')
        return
      }
      const found = this.answer(request.url ?? '')
      if (request.method !== 'GET' || !found) {
        response.writeHead(404, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end('{"error_code":40403,"message":"Schema not found"}')
        return
      }
      response.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify(found))
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/`
  }

  /** A schema under an id and as a version of a subject, as a producer's serializer registers it. */
  register(id: number, subject: string, version: number, schema: Stored): void {
    this.schemas.set(id, schema)
    this.versions.set(`${subject}/${version}`, id)
  }

  private answer(url: string): object | undefined {
    const byId = /^\/schemas\/ids\/(\d+)$/.exec(url)
    if (byId) return this.schemas.get(Number(byId[1]))
    const versionsOf = /^\/schemas\/ids\/(\d+)\/versions$/.exec(url)
    if (versionsOf) {
      const id = Number(versionsOf[1])
      const found = [...this.versions]
        .filter(([, at]) => at === id)
        .map(([key]) => ({ subject: key.slice(0, key.lastIndexOf('/')), version: Number(key.slice(key.lastIndexOf('/') + 1)) }))
      return found.length ? found : undefined
    }
    const bySubject = /^\/subjects\/([^/]+)\/versions\/(\d+|latest)$/.exec(url)
    if (!bySubject) return undefined
    const subject = decodeURIComponent(bySubject[1])
    const version = bySubject[2] === 'latest' ? this.latestVersion(subject) : Number(bySubject[2])
    const id = this.versions.get(`${subject}/${version}`)
    const stored = id === undefined ? undefined : this.schemas.get(id)
    return stored && { subject, version, id, ...stored }
  }

  private latestVersion(subject: string): number {
    const versions = [...this.versions.keys()].filter((k) => k.slice(0, k.lastIndexOf('/')) === subject).map((k) => Number(k.slice(k.lastIndexOf('/') + 1)))
    return versions.length ? Math.max(...versions) : -1
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }
}
