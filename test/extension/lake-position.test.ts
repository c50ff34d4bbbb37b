/** The Pipelines view's "where a job stands in the lake", read from the tables' logs whether or not the job runs. */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { flowPosition, pipelinePositions, sourcePosition } from '../../src/extension/pipelines/lake-position'
import { ingestFile } from '../../src/pipeline/ingest-file'
import type { FlowSpec, Pipeline, SourceSpec } from '../../src/pipeline/pipeline-file'
import { refineFlow } from '../../src/pipeline/refine'
import { tempLake } from '../helpers/temp-lake'

const { dir, lakeDir, lake, catalog } = tempLake('lake-position')
const source: SourceSpec = { name: 'events', file: 'events.jsonl', format: 'json', table: 'raw.events' }
const flow: FlowSpec = { name: 'events_refined', from: 'raw.events', to: 'refined.events', mode: 'append' }
const pipeline: Pipeline = { file: path.join(dir, 'lakehouse.json'), lake: 'lake', lakeDir, sources: [source], flows: [flow] }
const capture = (n: number) => writeFileSync(path.join(dir, 'events.jsonl'), Array.from({ length: n }, (_, i) => JSON.stringify({ id: i })).join('\n') + '\n')

test('before anything ran: nothing in the lake yet, the flow waits for its source', async () => {
  assert.deepEqual(await sourcePosition(lake, catalog, source), { text: 'nothing in raw.events yet' })
  assert.deepEqual(await flowPosition(lake, catalog, flow), { text: 'waiting for raw.events' })
})

test('after ingest and refine: offsets recorded, the flow up to date; a new raw version puts it behind', async () => {
  capture(5)
  await ingestFile(lake, catalog, pipeline, source)
  assert.deepEqual(await flowPosition(lake, catalog, flow), { text: 'nothing processed of raw.events v0', behind: true })
  await refineFlow(lake, catalog, flow, { untilCaughtUp: true })
  const positions = await pipelinePositions(lake, catalog, pipeline)
  assert.deepEqual(positions.get('source:events'), { text: 'raw.events v0 · offsets 0:4' })
  assert.deepEqual(positions.get('flow:events_refined'), { text: 'up to date with raw.events v0' })
  capture(8)
  await ingestFile(lake, catalog, pipeline, source)
  assert.deepEqual(await flowPosition(lake, catalog, flow), { text: 'behind raw.events: at v0 of v1', behind: true })
  assert.deepEqual(await sourcePosition(lake, catalog, source), { text: 'raw.events v1 · offsets 0:7' })
})
