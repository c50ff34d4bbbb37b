/**
 * "Preview Source" without a tree item (from the palette) asks which source: one item per source of every valid pipeline file, carrying the
 * node the view would have passed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { sourcePicks } from '../../src/extension/commands/source-picks'
import type { Pipeline } from '../../src/pipeline/pipeline-file'

const pipeline = (file: string, sources: Pipeline['sources']): Pipeline => ({ file, lakeDir: '/w/lake', sources }) as Pipeline

test('one pick per source, with what it reads and writes, and the job node of the Pipelines view', () => {
  const a = pipeline('/w/lakehouse.json', [
    { name: 'events', file: 'captures/events.jsonl', format: 'json', table: 'raw.events' },
    { name: 'orders', topic: 'shop.orders', format: 'debezium', table: 'raw.orders' },
  ] as Pipeline['sources'])
  const b = pipeline('/w/more.lakehouse.json', [{ name: 'all', topicPattern: 'shop\\..*', format: 'json', table: 'raw.all' }] as Pipeline['sources'])
  const picks = sourcePicks(
    [
      { uri: 'file:///w/lakehouse.json', pipeline: a },
      { uri: 'file:///w/more.lakehouse.json', pipeline: b },
    ],
    (uri) => uri.replace('file:///w/', ''),
  )
  assert.deepEqual(
    picks.map((p) => [p.label, p.description, p.detail, p.node.job]),
    [
      ['events', 'captures/events.jsonl → raw.events', 'lakehouse.json', 'source:events'],
      ['orders', 'shop.orders → raw.orders', 'lakehouse.json', 'source:orders'],
      ['all', 'shop\\..* → raw.all', 'more.lakehouse.json', 'source:all'],
    ],
  )
  assert.equal(picks[1].node.pipeline, a)
  assert.equal(picks[2].node.uri, 'file:///w/more.lakehouse.json')
  assert.equal(picks[0].node.kind, 'job')
  assert.deepEqual(sourcePicks([], String), [])
})
