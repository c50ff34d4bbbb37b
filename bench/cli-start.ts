/**
 * CLI start-up: whole processes, as a user's shell starts them. `lakehouse --help` and a small
 * query on a small lake, each through bin/lakehouse.mjs (from this checkout: the bundle, checked
 * against the sources first) and through dist/cli.mjs (what an installed package runs), timed
 * interleaved with the ceiling `node -e ''` (node's own start, the least any Node.js command
 * costs). ratio = ours ms / ceiling ms (> 1 is slower); the aims are absolute (≤ 100 ms for
 * --help, ≤ 400 ms for the query), reported beside.
 */
import { execFile } from 'node:child_process'
import * as path from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import type { LakeEngine } from '../src/engine'
import { appendQuery } from '../src/table'
import { interleaved, log, median, round, tempDir } from './util'

const run = promisify(execFile)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export async function runCliStartBench(lake: LakeEngine, options: { runs: number }) {
  const dir = await tempDir('cli-start')
  await appendQuery(lake, path.join(dir, 'raw', 'orders'), 'SELECT i AS id, i * 1.5 AS total FROM range(1000) t(i)')
  const node = (args: string[]) => () => run(process.execPath, args, { cwd: dir })
  const bin = path.join(root, 'bin/lakehouse.mjs')
  const bundle = path.join(root, 'dist/cli.mjs')
  const query = ['query', '--lake', dir, 'SELECT count(*), sum(total) FROM raw.orders']
  log('cli start: --help and a small query, bin and bundle, against node -e')
  const samples = await interleaved(
    {
      node: node(['-e', '']),
      helpBin: node([bin, '--help']),
      helpBundle: node([bundle, '--help']),
      queryBin: node([bin, ...query]),
      queryBundle: node([bundle, ...query]),
    },
    options.runs,
    2,
  )
  const ms = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]))
  const figure = (name: string) => ({ ms: round(ms[name], 1), ratio: round(ms[name] / ms.node, 2) })
  return {
    ceiling: { nodeEmptyMs: round(ms.node, 1) },
    help: { checkout: figure('helpBin'), installed: figure('helpBundle'), aimMs: 100 },
    smallQuery: { checkout: figure('queryBin'), installed: figure('queryBundle'), aimMs: 400 },
  }
}
