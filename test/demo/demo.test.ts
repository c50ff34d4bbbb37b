/**
 * `lakehouse demo`, as a newcomer runs it: the embedded capture replayed and refined; the refined
 * customers must equal the documents the capture's generator kept, orders and line items must all
 * be there, and a second run must change nothing. Then the same against the real broker (--broker).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { demoData, runDemo } from '../../src/demo'
import { LakeEngine } from '../../src/engine'
import { LakeCatalog, runQuery } from '../../src/query'
import { startBroker } from '../kafka/broker'

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lakehouse.mjs')
const dir = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-demo-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const data = demoData()

const lakehouse = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: dir })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The refined customers against the generator's documents, column by column. */
async function checkCustomers(lakeDir: string) {
  const lake = new LakeEngine()
  try {
    const rows = (
      await runQuery(
        lake,
        new LakeCatalog(lakeDir, lake.io.storage),
        `SELECT customer_id, name, email, phone, address_city, address_zip, tags,
      loyalty_tier, loyalty_points, balance, created_at FROM refined.customers ORDER BY customer_id`,
      )
    ).rows
    const expected = [...data.finalCustomers.values()].sort((a, b) => a._id.localeCompare(b._id))
    assert.equal(rows.length, expected.length)
    assert.deepEqual(
      rows.map((r) => ({ ...r, loyalty_points: Number(r.loyalty_points), created_at: new Date(String(r.created_at)).toISOString() })),
      expected.map((c) => ({
        customer_id: c._id,
        name: c.name,
        email: c.email,
        phone: c.phone ?? null,
        address_city: c.address.city,
        address_zip: c.address.zip,
        tags: c.tags,
        loyalty_tier: c.loyalty.tier,
        loyalty_points: c.loyalty.points,
        balance: c.balance,
        created_at: c.created_at,
      })),
    )
  } finally {
    await lake.close()
  }
}

test('the demo builds raw and refined from the capture; a second run changes nothing', async () => {
  const first = lakehouse('demo', '--dir', 'demo', '--format', 'json')
  assert.equal(first.code, 0, first.stderr)
  const report = JSON.parse(first.stdout) as { tables: { table: string; rows: number; version: number }[]; recentChanges: Record<string, unknown>[] }
  const rows = Object.fromEntries(report.tables.map((t) => [t.table, t.rows]))
  assert.equal(rows['raw.customers'], data.customers.length)
  assert.equal(rows['raw.orders'], data.orderCount)
  assert.equal(rows['refined.orders'], data.orderCount)
  assert.equal(rows['refined.order_items'], data.itemCount)
  assert.equal(rows['refined.customers'], data.finalCustomers.size)
  assert.ok(
    report.recentChanges.some((c) => c._change_type === 'update_postimage'),
    'the change feed sample shows updates',
  )
  await checkCustomers(path.join(dir, 'demo', 'lake'))
  const second = lakehouse('demo', '--dir', 'demo', '--format', 'json')
  assert.equal(second.code, 0, second.stderr)
  assert.deepEqual(JSON.parse(second.stdout).tables, report.tables, 'same rows, same versions')
  const text = lakehouse('demo', '--dir', 'demo')
  assert.match(text.stdout, /refined\.order_items +\| +\d+/)
  assert.match(text.stderr, /source:customers: already up to date \(500 messages recorded in raw\.customers\)/)
  // The document state is explained, not listed as if it were a table to query.
  assert.doesNotMatch(text.stdout, /^refined\._customers_documents +\|/m)
  assert.match(text.stdout, /Not listed: refined\._customers_documents, the current MongoDB document/)
  // Every command under "Next:" runs as printed, in the folder the demo ran in.
  const next = text.stdout
    .slice(text.stdout.indexOf('Next:'))
    .split('\n')
    .filter((l) => /^ {2}\S.*(query|history) /.test(l))
  assert.equal(next.length, 3, text.stdout)
  for (const line of next) {
    const ran = spawnSync('bash', ['-c', line.trim()], { encoding: 'utf8', cwd: dir })
    assert.equal(ran.status, 0, `${line}: ${ran.stderr}`)
    assert.match(ran.stdout, /\(\d+ rows?\)\n$/, line)
  }
  assert.equal(lakehouse('demo', '--broker', 'nonsense').code, 2)
})

test('demo --broker produces the capture to a real broker once and ingests from it', async () => {
  const broker = await startBroker({
    topics: [
      { name: 'shop.customers', partitions: 1 },
      { name: 'shop.orders', partitions: 3 },
    ],
  })
  try {
    const first = await runDemo({ dir: path.join(dir, 'kafka'), broker: broker.brokers[0] })
    assert.equal(first.produced, data.customers.length + data.orders.length)
    await checkCustomers(first.lakeDir)
    const again = await runDemo({ dir: path.join(dir, 'kafka'), broker: broker.brokers[0] })
    assert.equal(again.produced, 0, 'topics that hold the capture are not produced to again')
    assert.deepEqual(again.tables, first.tables)
  } finally {
    await broker.stop()
  }
})
