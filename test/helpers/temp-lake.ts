/** A lake in a fresh temp folder with its engine and catalog, removed after the test file. */
import { mkdtempSync, rmSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { after } from 'node:test'
import { LakeEngine } from '../../src/engine'
import { LakeCatalog, runQuery } from '../../src/query'

export function tempLake(prefix: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `lakehouse-${prefix}-`))
  const lakeDir = path.join(dir, 'lake')
  const lake = new LakeEngine()
  const catalog = new LakeCatalog(lakeDir, lake.io.storage)
  after(async () => {
    await lake.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const query = async (sql: string) => (await runQuery(lake, catalog, sql)).rows
  return { dir, lakeDir, lake, catalog, query }
}
