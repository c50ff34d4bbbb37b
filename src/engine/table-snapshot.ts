/** A table's latest snapshot for writers that may be first: a table that does not exist yet is no error. */
import { isDeltaError, type Snapshot } from '../delta'
import type { LakeEngine } from './lake-engine'

/** The table's latest snapshot, or undefined when it does not exist yet (other errors are thrown). */
export async function snapshotOrNothing(lake: LakeEngine, table: string): Promise<Snapshot | undefined> {
  try {
    return await lake.snapshot(table)
  } catch (error) {
    if (isDeltaError(error, 'TABLE_NOT_FOUND')) return undefined
    throw error
  }
}
