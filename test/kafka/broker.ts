/**
 * A real Kafka-protocol broker for tests: librdkafka's mock cluster (test/kafka/mockbroker.c,
 * built by scripts/build-mock-broker.sh into .cache/mockbroker) run as a child process, plus kafkajs
 * settings and helpers that suit it.
 *
 * Limits of the mock that tests must respect (Debian librdkafka 2.0.2, "option A"):
 * - no admin APIs for topics, groups or configs: create topics with startBroker({ topics }) or
 *   broker.createTopic(); admin.setOffsets/resetOffsets fail (commit from a consumer instead);
 *   unknown topics are auto-created (4 partitions) by metadata lookups;
 * - a partition keeps at most 5 MiB / 100,000 record batches, older ones are dropped silently;
 * - Fetch waits the full maxWaitTimeInMs when there is no data (hence ~100 ms here);
 * - every new group's first join waits a fixed 3 s; a rebalance in which some member did not
 *   rejoin waits sessionTimeout - 1 s: use a fresh group id per test, one consumer per group
 *   where possible, and MOCK_CONSUMER_SETTINGS;
 * - no idempotent producer, transactions are not isolated, sendOffsets does nothing, ListOffsets
 *   by timestamp answers -1; the `delay` and `deltopic` commands do not exist on this build;
 * - disconnect every kafkajs client before stop(), or the test process may not exit.
 *
 * LAKEHOUSE_MOCKBROKER=/path/to/mockbroker runs another build (e.g. the librdkafka 2.15.1 one from
 * shared/kafka-mock/build-mock.sh, with MOCK_REBALANCE_DELAY_MS=100 for fast joins).
 * LAKEHOUSE_KAFKA_DEBUG=1 turns kafkajs logging on (level INFO; =debug for DEBUG) and echoes the
 * broker's stderr.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Kafka, logLevel, Partitioners, type Consumer, type ConsumerConfig, type IHeaders, type KafkaConfig, type RecordMetadata } from 'kafkajs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const MOCKBROKER_SOURCE = path.join(root, 'test/kafka/mockbroker.c')
export const MOCKBROKER_BUILD_SCRIPT = path.join(root, 'scripts/build-mock-broker.sh')
export const MOCKBROKER_BINARY = process.env.LAKEHOUSE_MOCKBROKER || path.join(root, '.cache/mockbroker')

export interface TopicSpec {
  name: string
  partitions: number
}

export interface StartBrokerOptions {
  /** Number of brokers in the mock cluster (ids 1..N). Default 1. */
  brokers?: number
  topics?: TopicSpec[]
  /** Milliseconds to wait for the bootstrap line. Default 10,000. */
  startTimeoutMs?: number
}

export interface MockBroker {
  /** Bootstrap list, e.g. ['127.0.0.1:40001', '127.0.0.1:40002']. */
  readonly brokers: string[]
  readonly pid: number
  /** Sends one stdin command; resolves with the broker's answer, 'ok' or 'error: ...'. */
  command(text: string): Promise<string>
  /** The commands below throw when the broker answers 'error: ...'. */
  createTopic(name: string, partitions: number): Promise<void>
  /** Broker id (1..N, or -1 for all) refuses connections / accepts them again. */
  down(id: number): Promise<void>
  up(id: number): Promise<void>
  /** The next `count` requests of Kafka API `apiKey` fail with `errorCode` (-195 = connection drop). */
  injectErrors(apiKey: number, count: number, errorCode: number): Promise<void>
  clearErrors(apiKey: number): Promise<void>
  setRtt(id: number, ms: number): Promise<void>
  setLeader(topic: string, partition: number, id: number): Promise<void>
  /** Closes stdin, sends SIGTERM and waits for the process to exit (SIGKILL after 5 s). Idempotent. */
  stop(): Promise<void>
}

/** Kafka API keys that tests inject errors on. */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  SyncGroup: 14,
} as const
/** Kafka error codes that tests inject. */
export const ErrorCode = {
  NotLeaderForPartition: 6,
  RequestTimedOut: 7,
  CoordinatorNotAvailable: 15,
  NotCoordinator: 16,
  RebalanceInProgress: 27,
  DropConnection: -195,
} as const

// ---- building -----------------------------------------------------------------------------------

let building: Promise<void> | undefined

/** Builds .cache/mockbroker with the project's script when it is missing or older than its source. */
export function ensureMockBroker(): Promise<void> {
  if (process.env.LAKEHOUSE_MOCKBROKER) {
    if (!existsSync(MOCKBROKER_BINARY)) return Promise.reject(new Error(`LAKEHOUSE_MOCKBROKER=${MOCKBROKER_BINARY} does not exist`))
    return Promise.resolve()
  }
  const fresh = existsSync(MOCKBROKER_BINARY) && statSync(MOCKBROKER_BINARY).mtimeMs >= statSync(MOCKBROKER_SOURCE).mtimeMs
  if (fresh) return Promise.resolve()
  building ??= new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [MOCKBROKER_BUILD_SCRIPT], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve()
      else reject(new Error(`scripts/build-mock-broker.sh failed (exit ${code}):\n${output}`))
    })
  }).finally(() => {
    building = undefined
  })
  return building
}

// ---- the process --------------------------------------------------------------------------------

/** Every broker still running; killed on process exit so that none outlives a failed test. */
const live = new Set<ChildProcessWithoutNullStreams>()
let exitHookInstalled = false
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Also covered without this hook: the broker exits when its stdin reaches EOF, which happens
  // whenever this process dies, even by a signal.
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL')
      } catch {
        /* already gone */
      }
    }
  })
}

const debug = process.env.LAKEHOUSE_KAFKA_DEBUG

export async function startBroker(options: StartBrokerOptions = {}): Promise<MockBroker> {
  await ensureMockBroker()
  installExitHook()
  const count = options.brokers ?? 1
  const args = [String(count), ...(options.topics ?? []).map((t) => `${t.name}:${t.partitions}`)]
  const child = spawn(MOCKBROKER_BINARY, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  live.add(child)

  let exited = false
  let exitCode: number | null = null
  let exitSignal: NodeJS.Signals | null = null
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = true
      exitCode = code
      exitSignal = signal
      live.delete(child)
      resolve()
    })
  })
  child.on('error', () => {
    /* reported through the exit/bootstrap paths */
  })
  child.stdin.on('error', () => {
    /* EPIPE after the broker exited */
  })

  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    if (debug) process.stderr.write(`[mockbroker ${child.pid}] ${chunk.toString()}`)
  })

  // Lines on stdout: the bootstrap list, then one answer per command, in order.
  const waiting: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = []
  const lines = createInterface({ input: child.stdout })
  lines.on('line', (line) => {
    const next = waiting.shift()
    if (next) next.resolve(line)
  })
  void exitPromise.then(() => {
    const why = new Error(`mockbroker exited (code ${exitCode}, signal ${exitSignal})${stderr ? `: ${stderr.trim()}` : ''}`)
    for (const w of waiting.splice(0)) w.reject(why)
  })

  // The broker's pipes keep this process alive only while something waits on them, so a test
  // that forgets stop() does not hang its test file (the exit hook then kills the broker).
  const pipes = [child.stdin, child.stdout, child.stderr] as unknown as Array<{ ref?: () => void; unref?: () => void }>
  let holds = 0
  const hold = () => {
    if (holds++ === 0) {
      child.ref()
      for (const p of pipes) p.ref?.()
    }
  }
  const release = () => {
    if (--holds === 0) {
      child.unref()
      for (const p of pipes) p.unref?.()
    }
  }
  const nextLine = async (timeoutMs: number, what: string): Promise<string> => {
    if (exited) throw new Error(`mockbroker has exited (code ${exitCode}, signal ${exitSignal}): cannot ${what}`)
    hold()
    let timer: NodeJS.Timeout | undefined
    try {
      return await new Promise<string>((resolve, reject) => {
        const entry = { resolve, reject }
        waiting.push(entry)
        timer = setTimeout(() => {
          // Stay in the queue: a late answer is then swallowed instead of going to the next command.
          entry.resolve = () => {}
          reject(new Error(`mockbroker: no answer within ${timeoutMs} ms to ${what}`))
        }, timeoutMs)
      })
    } finally {
      clearTimeout(timer)
      release()
    }
  }

  let bootstrap: string
  try {
    bootstrap = await nextLine(options.startTimeoutMs ?? 10_000, 'start')
  } catch (e) {
    child.kill('SIGKILL')
    await exitPromise
    throw e
  }
  holds = 1
  release() // from now on, unreferenced until a command or stop() waits

  let stopping: Promise<void> | undefined
  let queue: Promise<unknown> = Promise.resolve()
  const command = (text: string): Promise<string> => {
    if (/[\r\n]/.test(text)) return Promise.reject(new Error(`mockbroker command must be one line: ${JSON.stringify(text)}`))
    // One command at a time, so that answers cannot be matched to the wrong command.
    const run = queue.then(() => {
      const answer = nextLine(5_000, `answer ${JSON.stringify(text)}`)
      child.stdin.write(`${text}\n`)
      return answer
    })
    queue = run.catch(() => undefined)
    return run
  }
  const must = async (text: string): Promise<void> => {
    const answer = await command(text)
    if (answer !== 'ok') throw new Error(`mockbroker '${text}': ${answer}`)
  }

  return {
    brokers: bootstrap.split(','),
    pid: child.pid!,
    command,
    createTopic: (name, partitions) => must(`topic ${name} ${partitions}`),
    down: (id) => must(`down ${id}`),
    up: (id) => must(`up ${id}`),
    injectErrors: (apiKey, n, code) => must(`err ${apiKey} ${n} ${code}`),
    clearErrors: (apiKey) => must(`clear ${apiKey}`),
    setRtt: (id, ms) => must(`rtt ${id} ${ms}`),
    setLeader: (topic, partition, id) => must(`leader ${topic} ${partition} ${id}`),
    stop() {
      stopping ??= (async () => {
        if (exited) return
        hold()
        try {
          child.stdin.end()
          child.kill('SIGTERM')
          const killer = setTimeout(() => child.kill('SIGKILL'), 5_000)
          await exitPromise
          clearTimeout(killer)
        } finally {
          release()
          lines.close()
        }
      })()
      return stopping
    },
  }
}

// ---- kafkajs against the mock -------------------------------------------------------------------

/**
 * Consumer settings that work with the mock (README limits 3 and 4): 100 ms fetch waits, a session
 * timeout short enough that an incomplete rebalance waits only 3 s, and heartbeats every second.
 */
export const MOCK_CONSUMER_SETTINGS = {
  sessionTimeout: 4_000,
  heartbeatInterval: 1_000,
  rebalanceTimeout: 10_000,
  maxWaitTimeInMs: 100,
} as const satisfies Partial<ConsumerConfig>

/**
 * A kafkajs client for the mock: short, quick retries and timeouts, silent unless
 * LAKEHOUSE_KAFKA_DEBUG is set. `overrides` replaces any of these settings (e.g. a logCreator).
 */
export function kafkaFor(broker: Pick<MockBroker, 'brokers'>, clientId = 'lakehouse-test', overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: broker.brokers,
    connectionTimeout: 1_000,
    requestTimeout: 10_000,
    // ~8 s of retries in all: enough to ride out a broker that is down for a few seconds.
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 10 },
    logLevel: !debug ? logLevel.NOTHING : debug === 'debug' ? logLevel.DEBUG : logLevel.INFO,
    ...overrides,
  })
}

/** A fresh group id: a new group per test avoids waiting on another test's members. */
export function freshGroupId(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`
}

/** A consumer with MOCK_CONSUMER_SETTINGS (overridable). */
export function consumerFor(kafka: Kafka, groupId = freshGroupId(), overrides: Partial<ConsumerConfig> = {}): Consumer {
  return kafka.consumer({ ...MOCK_CONSUMER_SETTINGS, ...overrides, groupId })
}

export interface JsonMessage {
  key?: string | null
  /** JSON-encoded on the wire; null is a tombstone; a Buffer is sent as it is. */
  value: unknown
  headers?: Record<string, string>
  partition?: number
}

export interface ProduceOptions {
  /** Spreads messages without an explicit partition round-robin over partitions 0..N-1 (keys then do not choose the partition). */
  partitions?: number
  /** Messages per send (default 1000). */
  batchSize?: number
}

/** Produces messages in sends of 1000 (acks -1); returns the metadata of every send. */
export async function produceJson(kafka: Kafka, topic: string, messages: readonly JsonMessage[], options: ProduceOptions = {}): Promise<RecordMetadata[]> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  const batchSize = options.batchSize ?? 1_000
  const metadata: RecordMetadata[] = []
  await producer.connect()
  try {
    for (let start = 0; start < messages.length; start += batchSize) {
      const batch = messages.slice(start, start + batchSize).map((m, i) => ({
        key: m.key ?? null,
        value: m.value === null || m.value === undefined ? null : Buffer.isBuffer(m.value) ? m.value : JSON.stringify(m.value),
        headers: m.headers,
        partition: m.partition ?? (options.partitions ? (start + i) % options.partitions : undefined),
      }))
      metadata.push(...(await producer.send({ topic, messages: batch })))
    }
  } finally {
    await producer.disconnect()
  }
  return metadata
}

export interface ConsumedMessage {
  topic: string
  partition: number
  offset: string
  key: string | null
  /** Parsed JSON; null for a tombstone; the raw text when it is not JSON. */
  value: unknown
  raw: Buffer | null
  headers: Record<string, string>
  timestamp: string
}

export interface ConsumeOptions {
  /** Default true. */
  fromBeginning?: boolean
  /** Called with the consumer before it subscribes (e.g. to listen to consumer.events). */
  onConsumer?: (consumer: Consumer) => void
  consumerConfig?: Partial<ConsumerConfig>
}

/**
 * Consumes `topic` with a consumer in group `groupId` until `count` distinct (partition, offset)
 * pairs have arrived, then disconnects. Returns every delivery in arrival order (duplicates
 * included, so a test can assert there were none). Rejects after `timeoutMs` or if the consumer crashes.
 */
export async function consumeAll(
  kafka: Kafka,
  topic: string,
  groupId: string,
  count: number,
  timeoutMs = 20_000,
  options: ConsumeOptions = {},
): Promise<ConsumedMessage[]> {
  const consumer = consumerFor(kafka, groupId, options.consumerConfig)
  const received: ConsumedMessage[] = []
  const seen = new Set<string>()
  let done!: () => void
  let fail!: (e: Error) => void
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve
    fail = reject
  })
  if (count === 0) done()
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) fail(new Error(`consumer crashed: ${event.payload.error.message}`))
  })
  const timer = setTimeout(() => fail(new Error(`consumeAll(${topic}): ${seen.size} of ${count} messages within ${timeoutMs} ms`)), timeoutMs)
  options.onConsumer?.(consumer)
  try {
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: options.fromBeginning ?? true })
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        received.push({
          topic: t,
          partition,
          offset: message.offset,
          key: message.key === null ? null : message.key.toString(),
          value: parseValue(message.value),
          raw: message.value,
          headers: headersToStrings(message.headers),
          timestamp: message.timestamp,
        })
        seen.add(`${partition}:${message.offset}`)
        if (seen.size >= count) done()
      },
    })
    await finished
    return received
  } finally {
    clearTimeout(timer)
    await consumer.disconnect()
  }
}

function parseValue(value: Buffer | null): unknown {
  if (value === null) return null
  const text = value.toString()
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue
    out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString()
  }
  return out
}
