/**
 * Writers at the same time on the same tables, each a `lakehouse` process: continuous ingest from
 * the mock broker while a producer keeps producing, continuous refine (one process per flow), and a
 * loop of OPTIMIZE and VACUUM with a forced zero retention over every table, for a bounded time.
 * Afterwards (jobs stopped with SIGINT, then run to completion):
 * - every table's log parses, its versions are contiguous, and each version a process reported
 *   committing is its own (no version lost or overwritten by another writer);
 * - raw holds each produced offset exactly once, refined equals an uninterrupted run;
 * - the latest version of every table scans (VACUUM with retention 0 keeps exactly what the
 *   latest version needs, and never an uncommitted file of a writer still at work).
 * A flow whose unread change data VACUUM deleted stops with its RANGE_UNAVAILABLE message and is
 * restarted with --full-refresh, as the message says.
 *
 * And two `lakehouse ingest` processes for one source at once: they share the partitions through
 * the consumer group, or one stops with a commit-conflict message; never duplicated data.
 * LAKEHOUSE_SOAK=1: minutes instead of seconds (LAKEHOUSE_SOAK_SECONDS, default 300) and ten
 * rounds of the two ingests (LAKEHOUSE_SOAK_TWINS).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { LakeEngine } from '../../src/engine'
import { LakeCatalog } from '../../src/query'
import { kafkaFor, startBroker, type MockBroker } from '../kafka/broker'
import { describeOutcome, runCli, startCli, type CliOutcome, type CliProcess } from './cli-process'
import { auditLake, describeAudits, readCommitActions } from './lake-audit'
import { assertExactlyOnce, FLOWS, PARTITIONS, Producer, REFINED_TABLES, setCheckpointInterval, SOAK, tableContents, writePipeline } from './scenario'

const SECONDS = SOAK ? Number(process.env.LAKEHOUSE_SOAK_SECONDS ?? 300) : 20
const TABLES = ['raw.events', 'raw._dead_letters', ...REFINED_TABLES]
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const RANGE_UNAVAILABLE = /are no longer available .*--full-refresh/s

let broker: MockBroker
let dir: string
const engines: LakeEngine[] = []
const engineFor = (lakeName: string) => {
  const lake = new LakeEngine()
  engines.push(lake)
  return { lake, catalog: new LakeCatalog(path.join(dir, lakeName), lake.io.storage) }
}

before(async () => {
  broker = await startBroker({
    topics: [
      { name: 'stream', partitions: PARTITIONS },
      { name: 'twin', partitions: PARTITIONS },
    ],
  })
  dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-concurrency-'))
})
after(async () => {
  for (const lake of engines) await lake.close()
  await broker?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

/** Versions a process said it committed: `→ raw version 12`, `→ version 17, version 18`, `in version 9`. */
function claimedVersions(outcome: CliOutcome): number[] {
  return [...`${outcome.stderr}\n${outcome.stdout}`.matchAll(/(?:→ (?:raw )?version (\d+)|, version (\d+)(?= |,|$)| in version (\d+))/gm)].map((m) =>
    Number(m[1] ?? m[2] ?? m[3]),
  )
}

test(`ingest, refine, optimize and vacuum (retention 0, forced) as processes on the same tables for ${SECONDS} s: no version lost or overwritten, exactly once, nothing live deleted`, {
  timeout: SOAK ? Infinity : 180_000,
}, async () => {
  const began = Date.now()
  const { lake, catalog } = engineFor('lake')
  const producer = new Producer(kafkaFor(broker, 'concurrency-producer'), 'stream')
  const pipelineFile = writePipeline(dir, 'main', { lake: 'lake', broker, topic: 'stream', groupId: 'concurrency-main' })
  const cli = (...args: string[]) => runCli(args, { cwd: dir })

  // The tables exist and checkpoint every 2 commits before the writers start.
  await producer.produce(300)
  const first = await cli('run', '--pipeline', pipelineFile, '--until-caught-up')
  assert.equal(first.code, 0, first.stderr)
  await setCheckpointInterval(lake, catalog)

  const deadline = Date.now() + SECONDS * 1_000
  const producing = (async () => {
    while (Date.now() < deadline) {
      await producer.produce(20 + Math.floor(Math.random() * 40))
      await sleep(100)
    }
  })()
  const ingest = startCli(['ingest', '--pipeline', pipelineFile], { cwd: dir })
  /** Per flow: its refine process; one that stops because VACUUM took its change data is restarted with --full-refresh. */
  const refineOutcomes: { flow: string; outcome: CliOutcome }[] = []
  let stopping = false
  const refiners = new Map<string, CliProcess>()
  const refining = FLOWS.map(async (flow) => {
    let fullRefresh = false
    while (true) {
      const job = startCli(['refine', '--pipeline', pipelineFile, '--flow', flow, ...(fullRefresh ? ['--full-refresh'] : [])], { cwd: dir })
      refiners.set(flow, job)
      const outcome = await job.done
      refineOutcomes.push({ flow, outcome })
      if (outcome.code === 0 || stopping) return
      assert.match(outcome.stderr, RANGE_UNAVAILABLE, `refine --flow ${flow} stops only because its change data was vacuumed: ${describeOutcome(outcome)}`)
      fullRefresh = true
    }
  })
  const maintenance: { command: string; table: string; outcome: CliOutcome }[] = []
  // OPTIMIZE and VACUUM each in a loop of their own over the tables, so they also overlap each other.
  const maintain = async (command: 'optimize' | 'vacuum', offset: number) => {
    for (let i = offset; Date.now() < deadline; i++) {
      const table = TABLES[i % TABLES.length]
      const args = command === 'optimize' ? ['optimize', '--lake', 'lake', table] : ['vacuum', '--lake', 'lake', '--retention-hours', '0', '--force', table]
      maintenance.push({ command, table, outcome: await cli(...args) })
    }
  }
  await Promise.all([producing, maintain('optimize', 0), maintain('vacuum', 2)])
  stopping = true
  ingest.signal('SIGINT')
  for (const job of refiners.values()) job.signal('SIGINT')
  const ingested = await ingest.done
  await Promise.all(refining)

  assert.equal(ingested.code, 0, `the continuous ingest stops cleanly on SIGINT: ${describeOutcome(ingested)}`)
  for (const { flow, outcome } of refineOutcomes) {
    if (outcome.code !== 0) assert.match(outcome.stderr, RANGE_UNAVAILABLE, `refine --flow ${flow}: ${describeOutcome(outcome)}`)
  }
  for (const { command, table, outcome } of maintenance) {
    // OPTIMIZE may lose a race to a writer that removed the same files (refine's MERGE): a clear conflict, nothing written.
    if (outcome.code !== 0) assert.match(outcome.stderr, /^lakehouse: .*(conflict|concurrent)/i, `${command} ${table}: ${describeOutcome(outcome)}`)
    assert.doesNotMatch(outcome.stderr, /internal error/, `${command} ${table}`)
  }
  const vacuumed = maintenance.filter((m) => m.command === 'vacuum')
  const deleted = vacuumed.reduce((sum, m) => sum + Number(/deleted (\d+) file/.exec(m.outcome.stdout)?.[1] ?? 0), 0)
  const optimized = maintenance.filter((m) => m.command === 'optimize' && /compacted/.test(m.outcome.stdout)).length
  const restarts = refineOutcomes.filter((r) => r.outcome.code !== 0).length
  console.log(
    `  ${SECONDS} s: ${producer.sent} messages; ingest ${claimedVersions(ingested).length} commits; refine ${refineOutcomes.map((r) => r.outcome.progress).reduce((a, b) => a + b, 0)} batches, ${restarts} full refreshes after VACUUM took unread change data; ${optimized} OPTIMIZE commits of ${maintenance.length - vacuumed.length}, ${maintenance.filter((m) => m.outcome.code !== 0).length} lost races; VACUUM deleted ${deleted} files in ${vacuumed.length} runs`,
  )
  assert.ok(optimized > 0 && deleted > 0, 'OPTIMIZE compacted and VACUUM deleted files while the jobs ran')

  // Each version a process reported is in the log as that kind of commit: none lost or overwritten.
  const claims = new Map<string, string>()
  const claim = (table: string, version: number, by: string, operations: string[]) => {
    const key = `${table}@${version}`
    assert.equal(claims.get(key), undefined, `${key} claimed by ${claims.get(key)} and by ${by}`)
    claims.set(key, by)
    const actions = readCommitActions(path.join(catalog.pathOf(table), '_delta_log')).get(version)
    assert.ok(actions, `${key} (${by}) is in the log`)
    const operation = actions.find((a) => a.commitInfo)!.commitInfo.operation
    assert.ok(operations.includes(operation), `${key} is ${by}'s commit (${operation})`)
  }
  for (const v of claimedVersions(ingested)) claim('raw.events', v, 'ingest', ['WRITE'])
  for (const { flow, outcome } of refineOutcomes) {
    for (const v of claimedVersions(outcome)) claim(flow === 'all' ? 'refined.events_all' : 'refined.events_latest', v, `refine ${flow}`, ['WRITE', 'MERGE'])
  }
  for (const { command, table, outcome } of maintenance) {
    if (command === 'optimize') for (const v of claimedVersions(outcome)) claim(table, v, 'optimize', ['OPTIMIZE'])
  }

  // To completion: what was produced last, and what the flows have not read yet.
  const rest = await cli('ingest', '--pipeline', pipelineFile, '--until-caught-up')
  assert.equal(rest.code, 0, rest.stderr)
  for (const flow of FLOWS) {
    let outcome = await cli('refine', '--pipeline', pipelineFile, '--flow', flow, '--until-caught-up')
    if (outcome.code !== 0 && RANGE_UNAVAILABLE.test(outcome.stderr))
      outcome = await cli('refine', '--pipeline', pipelineFile, '--flow', flow, '--until-caught-up', '--full-refresh')
    assert.equal(outcome.code, 0, outcome.stderr)
  }

  // Retention 0: the latest version is the only live one; the audit scans it (and loads every version from the log).
  const audits = await auditLake(lake, catalog, { versions: () => false })
  console.log(`  ${describeAudits(audits)}`)
  assert.deepEqual(audits.map((a) => a.table).sort(), [...TABLES].sort())
  const [rows, deadLetters] = await assertExactlyOnce(lake, catalog, producer.produced)
  assert.equal(rows + deadLetters, producer.sent)

  const referenceFile = writePipeline(dir, 'reference', { lake: 'reference', broker, topic: 'stream', groupId: 'concurrency-reference' })
  const reference = engineFor('reference')
  const uninterrupted = await cli('run', '--pipeline', referenceFile, '--until-caught-up')
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr)
  for (const table of REFINED_TABLES) {
    const want = await tableContents(reference.lake, reference.catalog, table)
    assert.ok(want.length > 0)
    assert.deepEqual(await tableContents(lake, catalog, table), want, `${table} equals the uninterrupted run's`)
  }
  console.log(`  ${rows} raw rows, ${deadLetters} dead letters, refined equal to the uninterrupted run: ${Date.now() - began} ms`)
})

// Even rounds start on an empty lake (the two race to create the table); odd rounds on a table an
// earlier run created, so the two can only share the partitions or race on one's offsets.
const TWIN_ROUNDS = SOAK ? Number(process.env.LAKEHOUSE_SOAK_TWINS ?? 10) : 2

test('two `lakehouse ingest` processes for the same source at once: they share the partitions (every message in once when both complete) or one stops with a clear message; never duplicated data', {
  timeout: SOAK ? Infinity : 120_000,
}, async () => {
  const behaviours = new Map<string, number>()
  for (let round = 0; round < TWIN_ROUNDS; round++) {
    const topic = `twin-${round}`
    await broker.createTopic(topic, PARTITIONS)
    const { lake, catalog } = engineFor(`twin-lake-${round}`)
    const producer = new Producer(kafkaFor(broker, `twin-producer-${round}`), topic)
    const pipelineFile = writePipeline(dir, `twin-${round}`, { lake: `twin-lake-${round}`, broker, topic, groupId: `concurrency-twin-${round}` })
    let before = 0
    if (round % 2 === 1) {
      await producer.produce(100)
      const first = await runCli(['ingest', '--pipeline', pipelineFile, '--until-caught-up'], { cwd: dir })
      assert.equal(first.code, 0, first.stderr)
      before = producer.sent
    }
    await producer.produce(3_000)
    const jobs = [0, 1].map(() => startCli(['ingest', '--pipeline', pipelineFile, '--until-caught-up'], { cwd: dir }))
    const outcomes = await Promise.all(jobs.map((j) => j.done))
    for (const o of outcomes) {
      if (o.code === 0) continue
      assert.equal(o.code, 1, describeOutcome(o))
      // Ours: the commit race (creating a table, or the same partition's offsets). The mock broker's:
      // librdkafka 2.0.2 sometimes fails the second member's SyncGroup, which kafkajs reports as a malformed request.
      assert.match(
        o.stderr,
        /^lakehouse: source 'events': .*(conflict|already exists|request being malformed)/im,
        'the one that stops says why, in one message',
      )
      assert.doesNotMatch(o.stderr, /internal error|\n\s+at /, 'no stack trace')
    }
    assert.ok(
      outcomes.some((o) => o.code === 0),
      `at least one completes: ${outcomes.map(describeOutcome).join('; ')}`,
    )
    const messages = (o: CliOutcome) => Number(/: (\d+) messages →/.exec(o.stdout)?.[1] ?? 0)
    const skipped = (o: CliOutcome) => Number(/(\d+) already recorded/.exec(o.stdout)?.[1] ?? 0)
    const shares = outcomes.map((o) => messages(o) - skipped(o))
    const taken = shares[0] + shares[1]
    assert.ok(taken <= producer.sent - before, `${taken} new messages written between them, of ${producer.sent - before}`)
    let behaviour: string
    if (outcomes.every((o) => o.code === 0)) {
      // Both caught up on what they were given: between them every message is in, exactly once,
      // before any other run, and their two reports add up to it.
      const [rows, deadLetters] = await assertExactlyOnce(lake, catalog, producer.produced)
      assert.equal(rows + deadLetters, producer.sent, 'both completed: every message is in')
      assert.equal(taken, producer.sent - before, `both completed: their reports (${shares.join(' + ')}) add up to every new message`)
      behaviour = shares.every((n) => n > 0)
        ? 'both completed, sharing the partitions'
        : 'both completed, one taking every partition (the other caught up with nothing left)'
      behaviour += before ? ' (table created before)' : ' (empty lake)'
    } else {
      behaviour = `one completed, the other stopped: ${outcomes
        .find((o) => o.code !== 0)!
        .stderr.trim()
        .replace(/\(table: .*\)$/, '')
        .replace(/\d+/g, 'N')}`
    }
    behaviours.set(behaviour, (behaviours.get(behaviour) ?? 0) + 1)

    const rest = await runCli(['ingest', '--pipeline', pipelineFile, '--until-caught-up'], { cwd: dir })
    assert.equal(rest.code, 0, rest.stderr)
    if (outcomes.every((o) => o.code === 0)) assert.equal(messages(rest) - skipped(rest), 0, `nothing was left for a later run: ${rest.stdout}`)
    const [rows, deadLetters] = await assertExactlyOnce(lake, catalog, producer.produced)
    assert.equal(rows + deadLetters, producer.sent)
    await auditLake(lake, catalog)
  }
  console.log(`  twin ingests, ${TWIN_ROUNDS} round(s): ${[...behaviours].map(([b, n]) => `${n}× ${b}`).join('; ')}`)
})
