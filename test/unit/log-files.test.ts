import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DeltaError } from '../../src/delta/errors'
import { commitFileName, completeCheckpoints, logSegmentFromListing, multipartCheckpointFileName, parseLogFileName } from '../../src/delta/log-files'

const commits = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => commitFileName(from + i))

test('log file names are classified, junk is ignored', () => {
  assert.deepEqual(parseLogFileName('00000000000000000007.json'), { kind: 'commit', version: 7, name: '00000000000000000007.json' })
  assert.equal(parseLogFileName('00000000000000000010.checkpoint.parquet')?.kind, 'checkpoint')
  const part = parseLogFileName('00000000000000000010.checkpoint.0000000002.0000000003.parquet')
  assert.ok(part?.kind === 'checkpoint' && part.format === 'multipart' && part.part === 2 && part.parts === 3)
  const v2 = parseLogFileName('00000000000000000002.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json')
  assert.ok(v2?.kind === 'checkpoint' && v2.format === 'v2')
  for (const junk of [
    '._00000000000000000002.json',
    '00000000000000000001.crc',
    '00000000000000000001.00000000000000000004.compacted.json',
    '_last_checkpoint',
    '.DS_Store',
    '0001.json',
  ]) {
    assert.equal(parseLogFileName(junk), undefined, junk)
  }
})

test('an incomplete multi-part checkpoint is not used', () => {
  const names = [...commits(0, 12), multipartCheckpointFileName(10, 1, 2), commitFileName(5).replace('.json', '.checkpoint.parquet')]
  const segment = logSegmentFromListing(names, '/t')
  assert.equal(segment.checkpoint?.version, 5)
  assert.deepEqual(
    segment.commits.map((c) => c.version),
    [6, 7, 8, 9, 10, 11, 12],
  )
  const complete = completeCheckpoints([...names, multipartCheckpointFileName(10, 2, 2)].map((n) => parseLogFileName(n)!).filter(Boolean))
  assert.equal(complete[0].version, 10)
  assert.equal(complete[0].files.length, 2)
})

test('segments pick the newest checkpoint at or before the version', () => {
  const names = [...commits(0, 25), '00000000000000000010.checkpoint.parquet', '00000000000000000020.checkpoint.parquet']
  assert.equal(logSegmentFromListing(names, '/t').checkpoint?.version, 20)
  assert.equal(logSegmentFromListing(names, '/t', 19).checkpoint?.version, 10)
  const early = logSegmentFromListing(names, '/t', 3)
  assert.equal(early.checkpoint, undefined)
  assert.deepEqual(
    early.commits.map((c) => c.version),
    [0, 1, 2, 3],
  )
})

test('gaps and missing versions are errors that say what is missing', () => {
  const gap = [...commits(0, 3), ...commits(5, 6)]
  assert.throws(
    () => logSegmentFromListing(gap, '/t'),
    (e: unknown) => e instanceof DeltaError && e.code === 'CORRUPT_LOG' && e.message.includes(commitFileName(4)),
  )
  assert.throws(
    () => logSegmentFromListing(commits(0, 3), '/t', 9),
    (e: unknown) => e instanceof DeltaError && e.code === 'VERSION_NOT_FOUND' && e.message.includes('latest version is 3'),
  )
  const cleaned = [...commits(10, 14), '00000000000000000010.checkpoint.parquet']
  assert.throws(
    () => logSegmentFromListing(cleaned, '/t', 4),
    (e: unknown) => e instanceof DeltaError && e.code === 'VERSION_NOT_FOUND' && e.message.includes('versions 10 to 14'),
  )
  assert.throws(
    () => logSegmentFromListing([], '/t'),
    (e: unknown) => e instanceof DeltaError && e.code === 'TABLE_NOT_FOUND',
  )
})
