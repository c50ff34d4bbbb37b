/**
 * The transactional producer of test/kafka/txproducer.c (librdkafka, which the mock broker's build
 * installs), compiled into .cache/txproducer when missing or older than its source, like
 * scripts/build-mock-broker.sh builds the broker (written to a temporary name, then renamed, so
 * two test files may build it at once).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ensureMockBroker } from './broker'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const SOURCE = path.join(root, 'test/kafka/txproducer.c')
export const TXPRODUCER = path.join(root, '.cache/txproducer')

export async function ensureTxProducer(): Promise<string> {
  await ensureMockBroker() // installs librdkafka-dev and gcc when they are missing
  if (existsSync(TXPRODUCER) && statSync(TXPRODUCER).mtimeMs >= statSync(SOURCE).mtimeMs) return TXPRODUCER
  mkdirSync(path.dirname(TXPRODUCER), { recursive: true })
  const temporary = `${TXPRODUCER}.tmp.${process.pid}`
  execFileSync('gcc', ['-O2', '-Wall', '-o', temporary, SOURCE, '-lrdkafka'], { stdio: ['ignore', 'ignore', 'pipe'] })
  renameSync(temporary, TXPRODUCER)
  return TXPRODUCER
}

/**
 * Runs transactions on one partition: `plan` like "C3,A2,C1" (commit 3 messages, abort 2, commit
 * 1). Message i of transaction t has key `t-i` and value {"txn":t,"i":i,"committed":bool}.
 */
export async function produceTransactions(brokers: string[], topic: string, partition: number, plan: string): Promise<string[]> {
  const binary = await ensureTxProducer()
  return execFileSync(binary, [brokers.join(','), topic, String(partition), plan], { timeout: 60_000 })
    .toString()
    .trim()
    .split('\n')
}
