/**
 * A refine job in a process of its own, for refine-crash.test.ts (which kills it with SIGKILL at
 * random moments). Argument: JSON { lakeDir, flow }. Prints {"batch":n} per committed batch and
 * {"done":true} at the end.
 */
import { LakeEngine } from '../../src/engine'
import type { FlowSpec } from '../../src/pipeline/pipeline-file'
import { refineFlow } from '../../src/pipeline/refine'
import { LakeCatalog } from '../../src/engine'

const { lakeDir, flow } = JSON.parse(process.argv[2]) as { lakeDir: string; flow: FlowSpec }
const lake = new LakeEngine()
const catalog = new LakeCatalog(lakeDir, lake.io.storage)
let batches = 0
await refineFlow(lake, catalog, flow, { untilCaughtUp: true, onBatch: () => process.stdout.write(`${JSON.stringify({ batch: ++batches })}\n`) })
process.stdout.write(`${JSON.stringify({ done: true })}\n`)
await lake.close()
