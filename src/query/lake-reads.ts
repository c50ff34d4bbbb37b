/**
 * The LakeTableReader refine flows use (pipeline/refine/lake-tables.ts): the lake tables a flow's
 * `sql` steps name are registered for one batch, at their latest version. Steps that name no
 * table of the lake's zones (only `batch`) register nothing and hold no lock.
 */
import type { LakeEngine } from '../engine'
import type { LakeTableReader } from '../pipeline'
import type { LakeCatalog } from '../engine'
import { withEmbeddedHeld } from './statements/embedded'
import { findInCode, unquoteIdentifier } from './sql-text'

const NAME = `(?:"(?:[^"]|"")+"|[A-Za-z_][\\w-]*)`

export function lakeTableReader(lake: LakeEngine, catalog: LakeCatalog): LakeTableReader {
  return async (queries) => {
    const zones = new Set((await catalog.tables()).map((t) => t.zone))
    const names = queries.some((query) =>
      findInCode(query, new RegExp(`(?<![\\w$."])(${NAME})\\s*\\.\\s*${NAME}`, 'g')).some((m) => zones.has(unquoteIdentifier(m.groups[0]!))),
    )
    if (!names) return undefined
    return withEmbeddedHeld(lake, catalog, queries)
  }
}
