/**
 * A Confluent-compatible schema registry on 127.0.0.1 (a real HTTP server, random port) that
 * answers GET /schemas/ids/{id}, records the paths it was asked for, and can check Basic auth or
 * fail the next requests with a 500.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export class LocalRegistry {
  readonly schemas = new Map<number, { schema: string; schemaType?: string }>()
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
      const match = /^\/schemas\/ids\/(\d+)$/.exec(request.url ?? '')
      const found = match && this.schemas.get(Number(match[1]))
      if (request.method !== 'GET' || !found) {
        response.writeHead(404, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end('{"error_code":40403,"message":"Schema not found"}')
        return
      }
      response.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify(found))
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/`
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }
}
