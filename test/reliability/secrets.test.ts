/**
 * Secrets on the engine side: a canary SASL password, given through the environment variable the
 * pipeline file names (kafka.sasl.passwordEnv), must not appear in anything the engine writes or
 * says: Delta commitInfo and every other file of the lake, dead-letter rows, error messages
 * (with their causes and stacks), the client's log, or the CLI's output. The mock broker has no
 * SASL, so the Kafka job fails at the handshake: that error path is what is checked.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { inspect } from 'node:util'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { logLevel } from 'kafkajs'
import { ingestFile } from '../../src/pipeline/ingest-file'
import { ingestKafka } from '../../src/pipeline/ingest-kafka'
import type { Pipeline } from '../../src/pipeline/pipeline-file'
import { startIngestLake, type IngestLake } from '../kafka/ingest-lake'
import { produceJson } from '../kafka/broker'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const CANARY = 'canary-Pw-7f3a9c1e-do-not-leak'
const ENV = 'LAKEHOUSE_TEST_SASL_PASSWORD'

/** Every file under `dir`, with its bytes. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    return statSync(full).isDirectory() ? filesUnder(full) : [{ file: full, bytes: readFileSync(full) }]
  })
}

const leaks = (text: string) => text.includes(CANARY) || text.includes(Buffer.from(CANARY).toString('base64'))

describe('a SASL password from the environment never leaks', () => {
  let env: IngestLake
  let pipeline: Pipeline

  before(async () => {
    env = await startIngestLake({ name: 'secrets', topics: [{ name: 'secret-topic', partitions: 1 }] })
    pipeline = { ...env.pipeline, kafka: { ...env.pipeline.kafka!, sasl: { mechanism: 'plain', username: 'alice', passwordEnv: ENV } } }
    await produceJson(env.kafka, 'secret-topic', [{ value: { id: 1 } }, { value: Buffer.from('{broken') }])
  })
  after(async () => {
    await env?.stop()
  })

  test('ingest against a broker with SASL: the error names the problem, not the password; nothing written or logged holds it', async () => {
    const logs: string[] = []
    const client = {
      env: { [ENV]: CANARY },
      logLevel: logLevel.DEBUG,
      config: {
        connectionTimeout: 1_000,
        retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 },
        logCreator:
          () =>
          ({ namespace, level, log }: { namespace: string; level: number; log: object }) => {
            logs.push(`${level} ${namespace} ${JSON.stringify(log)}`)
          },
      },
    }
    // A file source in the same pipeline writes commits and a dead letter while the password is set.
    const capture = path.join(env.lakeDir, 'capture.ndjson')
    writeFileSync(capture, '{"id": 1}\n{not json\n')
    const fileReport = await ingestFile(env.lake, env.catalog, pipeline, { name: 'secret_file', file: capture, format: 'json', table: 'raw.secret_file' })
    assert.equal(fileReport.deadLetters, 1)

    const started = Date.now()
    const error = await ingestKafka(
      env.lake,
      env.catalog,
      pipeline,
      { name: 'secret', topic: 'secret-topic', format: 'json', table: 'raw.secret' },
      { untilCaughtUp: true, client },
    ).then(
      () => assert.fail('the SASL handshake should fail against the mock broker'),
      (e: Error) => e,
    )
    assert.ok(Date.now() - started < 30_000)
    assert.match(error.message, /^connecting to 127\.0\.0\.1:\d+ with SASL plain as user 'alice' failed: /, error.message)
    assert.ok(!leaks(inspect(error, { depth: 10 })), `the error (with its cause and stack) holds the password: ${inspect(error)}`)
    assert.ok(!leaks(error.stack ?? ''))
    assert.ok(logs.length > 0, 'the client logged')
    for (const line of logs) assert.ok(!leaks(line), `a log line holds the password: ${line}`)

    const files = filesUnder(env.lakeDir)
    assert.ok(
      files.some((f) => /_delta_log\/\d{20}\.json$/.test(f.file)),
      'commits were written',
    )
    for (const f of files) assert.ok(!leaks(f.bytes.toString('latin1')), `${f.file} holds the password`)
  })

  test('the CLI with the password in the environment: its output and errors do not hold it', () => {
    const file = path.join(env.lakeDir, 'secrets.lakehouse.json')
    writeFileSync(
      file,
      JSON.stringify({
        lake: '.',
        kafka: { brokers: env.broker.brokers, sasl: { mechanism: 'plain', username: 'alice', passwordEnv: ENV } },
        sources: [{ name: 'secret_cli', topic: 'secret-topic', format: 'json', table: 'raw.secret_cli' }],
      }),
    )
    const result = spawnSync(process.execPath, [path.join(root, 'bin/lakehouse.mjs'), 'ingest', '--pipeline', file, '--until-caught-up'], {
      encoding: 'utf8',
      env: { ...process.env, [ENV]: CANARY },
      timeout: 30_000,
    })
    assert.equal(result.status, 1, `exit 1: ${result.stderr}`)
    assert.match(result.stderr, /source 'secret_cli': connecting to .* with SASL plain as user 'alice' failed/)
    assert.ok(!leaks(result.stdout + result.stderr), `the CLI printed the password: ${result.stderr}`)
    for (const f of filesUnder(env.lakeDir)) assert.ok(!leaks(f.bytes.toString('latin1')), `${f.file} holds the password`)
  })
})
