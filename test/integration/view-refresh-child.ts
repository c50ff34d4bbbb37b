/**
 * A materialized view's refresh in a process of its own, for materialized-views.test.ts (which
 * kills it with SIGKILL at random moments). Argument: JSON { lakeDir, definition, method? }. Prints
 * {"ready":true} once the lake is open, then {"done":true}.
 */
import { LakeEngine } from '../../src/engine'
import { LakeCatalog, parseDefinitions, refreshView, type MaterializedView } from '../../src/query'

const { lakeDir, definition, method } = JSON.parse(process.argv[2]) as { lakeDir: string; definition: string; method?: 'maintain' | 'recompute' }
const lake = new LakeEngine()
const catalog = new LakeCatalog(lakeDir, lake.io.storage)
await lake.duckdb()
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
const [view] = parseDefinitions('/child.sql', definition) as MaterializedView[]
await refreshView(lake, catalog, view, { method })
process.stdout.write(`${JSON.stringify({ done: true })}\n`)
await lake.close()
