/** OPTIMIZE, VACUUM, RESTORE and the SHOW/DESCRIBE forms over one lake table. */
import { DeltaError } from '../../delta/errors'
import type { Statement } from './ast'
import type { StatementOutput } from './output'
import type { StatementContext } from './run-dml'

export async function runUtility(_context: StatementContext, s: Statement): Promise<StatementOutput> {
  throw new DeltaError('INVALID_ARGUMENT', `${s.kind} is not supported yet`)
}
