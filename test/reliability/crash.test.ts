/**
 * Crash consistency of the `lakehouse` command: `ingest` (from the mock Kafka broker), `refine`
 * and `run` (both in one process) are killed with SIGKILL at random instants (seeded: the seed is
 * printed, LAKEHOUSE_SEED=<seed> replays the choices), some during start-up, some a random while
 * after a commit, and some at the very moment a temporary commit file or checkpoint file appears in
 * `_delta_log` (so while the commit or the checkpoint is being written). Every table has
 * delta.checkpointInterval = 2. Afterwards the pipeline runs to completion, and:
 * - every commit file parses line by line, versions are contiguous, every version loads, its files
 *   equal a replay of the commits and it scans; every checkpoint is complete (lake-audit.ts);
 * - raw.events and raw._dead_letters hold each produced (partition, offset) exactly once;
 * - raw and refined tables equal, row for row, those of one uninterrupted run on a fresh lake.
 * LAKEHOUSE_SOAK=1: hundreds of kills instead of about twenty (LAKEHOUSE_SOAK_KILLS, default 300);
 * LAKEHOUSE_CRASH_LOG=1 prints every round; LAKEHOUSE_KEEP=1 keeps the lakes.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, before, test } from 'node:test'
import { LakeEngine } from '../../src/engine'
import { LakeCatalog } from '../../src/query'
import { kafkaFor, startBroker, type MockBroker } from '../kafka/broker'
import { CHECKPOINT_TEMP, COMMIT_TEMP, describeOutcome, runCli, type KillPlan } from './cli-process'
import { auditLake, describeAudits } from './lake-audit'
import { assertExactlyOnce, PARTITIONS, Producer, random, REFINED_TABLES, runSeed, setCheckpointInterval, SOAK, tableContents, writePipeline } from './scenario'

const KILLS = SOAK ? Number(process.env.LAKEHOUSE_SOAK_KILLS ?? 300) : 21
const seed = runSeed()
console.log(`  crash test seed ${seed} (LAKEHOUSE_SEED=${seed} replays its choices), ${KILLS} kills${SOAK ? ' (soak)' : ''}`)

let broker: MockBroker
let dir: string
const lake = new LakeEngine()
const reference = new LakeEngine()

before(async () => {
  broker = await startBroker({ topics: [{ name: 'events', partitions: PARTITIONS }] })
  dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-crash-'))
})
after(async () => {
  await lake.close()
  await reference.close()
  await broker?.stop()
  // LAKEHOUSE_KEEP=1 keeps the lakes for a post-mortem.
  if (dir && !process.env.LAKEHOUSE_KEEP) rmSync(dir, { recursive: true, force: true })
  else if (dir) console.log(`  kept ${dir}`)
})

type Command = 'ingest' | 'refine' | 'run'
type Aim = 'start' | 'progress' | 'commit' | 'checkpoint'
const COMMANDS: Command[] = ['run', 'refine', 'ingest', 'refine']
const AIMS: Aim[] = ['progress', 'checkpoint', 'commit', 'start']

test(`ingest, refine and run killed with SIGKILL ${KILLS} times, then run to completion: every version readable, exactly once, equal to an uninterrupted run`, {
  timeout: SOAK ? Infinity : 240_000,
}, async () => {
  const began = Date.now()
  const producer = new Producer(kafkaFor(broker, 'crash-producer'), 'events')
  // A consumer group per process: where to read is the lake's business, and a new group spares the
  // mock's wait for the killed member's session to expire.
  const pipelineFor = (round: number) => writePipeline(dir, 'main', { lake: 'lake', broker, topic: 'events', groupId: `crash-main-${seed}-${round}` })
  const catalog = new LakeCatalog(path.join(dir, 'lake'), lake.io.storage)
  const logDirs = (tables: string[]) => tables.map((t) => path.join(catalog.pathOf(t), '_delta_log'))
  const written: Record<Command, string[]> = {
    ingest: ['raw.events', 'raw._dead_letters'],
    refine: REFINED_TABLES,
    run: ['raw.events', 'raw._dead_letters', ...REFINED_TABLES],
  }

  const next = random(seed)
  const kills = { ingest: 0, refine: 0, run: 0 }
  const aimed = { start: 0, progress: 0, commit: 0, checkpoint: 0 }
  const log: string[] = []
  let total = 0
  for (let round = 0; total < KILLS && round < KILLS * 3; round++) {
    // Every command meets every aim in turn (refine, the quickest, twice as often); the instants are random.
    const command: Command = COMMANDS[round % COMMANDS.length]
    // New messages for the jobs that read Kafka (refine has the raw versions earlier rounds left).
    if (command !== 'refine') await producer.produce(80 + Math.floor(next() * 240))
    const aim: Aim = AIMS[(round + Math.floor(round / COMMANDS.length)) % AIMS.length]
    const plan: KillPlan =
      aim === 'start'
        ? { after: 'start', ms: Math.floor(next() * (command === 'refine' ? 2_000 : 5_000)) }
        : aim === 'progress'
          ? { after: 'progress', ms: Math.floor(next() * 300) }
          : { after: 'file', pattern: aim === 'commit' ? COMMIT_TEMP : CHECKPOINT_TEMP, logDirs: logDirs(written[command]), skip: Math.floor(next() * 3) }
    const outcome = await runCli([command, '--pipeline', pipelineFor(round), '--until-caught-up'], { cwd: dir, kill: plan })
    log.push(`${command}/${aim}: ${describeOutcome(outcome)}`)
    if (!outcome.killed) assert.equal(outcome.code, 0, `an uninterrupted ${command} succeeds: ${outcome.stderr}`)
    else {
      total++
      kills[command]++
      aimed[aim]++
    }
    // While no job runs: every table (new ones too) checkpoints every 2 commits.
    await setCheckpointInterval(lake, catalog)
  }
  if (process.env.LAKEHOUSE_CRASH_LOG) console.log(log.join('\n'))
  console.log(
    `  ${total} kills in ${log.length} rounds (ingest ${kills.ingest}, refine ${kills.refine}, run ${kills.run}; at start-up ${aimed.start}, after a commit ${aimed.progress}, writing a commit ${aimed.commit}, writing a checkpoint ${aimed.checkpoint}); ${producer.sent} messages`,
  )
  assert.ok(total >= KILLS, `at least ${KILLS} kills: ${log.join('; ')}`)
  for (const command of ['ingest', 'refine', 'run'] as const)
    assert.ok(kills[command] >= Math.floor(KILLS / 6), `${command} was killed ${kills[command]} times`)
  assert.ok(
    aimed.commit >= 1 && aimed.checkpoint >= 1,
    `kills landed while a commit (${aimed.commit}) and while a checkpoint (${aimed.checkpoint}) was being written`,
  )

  const finished = await runCli(['run', '--pipeline', pipelineFor(-1), '--until-caught-up'], { cwd: dir })
  assert.equal(finished.code, 0, `the run to completion succeeds: ${finished.stderr}`)

  const audits = await auditLake(lake, catalog, { versions: SOAK ? (v, latest) => v % 10 === 0 || v > latest - 20 : undefined })
  console.log(`  after the kills: ${describeAudits(audits)}`)
  assert.deepEqual(
    audits.map((a) => a.table),
    ['raw._dead_letters', 'raw.events', ...REFINED_TABLES],
  )
  for (const a of audits) assert.ok(a.checkpoints >= 1, `${a.table} has checkpoints`)
  const [rows, deadLetters] = await assertExactlyOnce(lake, catalog, producer.produced)
  assert.equal(rows + deadLetters, producer.sent)

  // The same messages, one uninterrupted run, a fresh lake (another consumer group).
  const referenceFile = writePipeline(dir, 'reference', { lake: 'reference', broker, topic: 'events', groupId: `crash-reference-${seed}` })
  const referenceCatalog = new LakeCatalog(path.join(dir, 'reference'), reference.io.storage)
  const uninterrupted = await runCli(['run', '--pipeline', referenceFile, '--until-caught-up'], { cwd: dir })
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr)
  for (const table of ['raw.events', 'raw._dead_letters', ...REFINED_TABLES]) {
    const [got, want] = [await tableContents(lake, catalog, table), await tableContents(reference, referenceCatalog, table)]
    assert.ok(want.length > 0, `${table} has rows`)
    if (table === 'raw._dead_letters') {
      // failed_at is when the batch was written: compare the rest.
      const strip = (r: Record<string, unknown>[]) => r.map(({ failed_at: _, ...rest }) => rest)
      assert.deepEqual(strip(got), strip(want), `${table} equals the uninterrupted run's`)
    } else assert.deepEqual(got, want, `${table} equals the uninterrupted run's`)
  }
  console.log(
    `  ${rows} raw rows, ${deadLetters} dead letters, refined ${(await tableContents(lake, catalog, REFINED_TABLES[0])).length} + ${(await tableContents(lake, catalog, REFINED_TABLES[1])).length} rows, all equal to the uninterrupted run: ${Date.now() - began} ms`,
  )
})
