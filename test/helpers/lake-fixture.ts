/**
 * The engine and table folders of one test file: a LakeEngine and fresh temporary tables, closed
 * and removed once the file's tests have run.
 */
import { after } from 'node:test'
import { LakeEngine } from '../../src/engine'
import { tempTables } from './delta-log'

export function lakeFixture(prefix: string): { lake: LakeEngine; freshTable: (name?: string) => string } {
  const lake = new LakeEngine()
  const { freshTable, cleanup } = tempTables(prefix)
  after(async () => {
    await lake.close()
    cleanup()
  })
  return { lake, freshTable }
}
