/** Pipeline file problems as diagnostics: the range of the value or key at fault, and the fix a "did you mean" offers. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkPipeline } from '../../src/pipeline/pipeline-file'
import { problemPlace } from '../../src/extension/pipeline-problem-places'

const TEXT = `{
  "lake": "./lake",
  "sources": [{ "name": "a", "file": "a.jsonl", "format": "jsn", "table": "raw.a" }],
  "flows": [{ "name": "f", "from": "raw.a", "to": "refined.a", "mdoe": "append" }]
}`

test('a value not among the allowed ones: its range, and the suggestion as the fix', () => {
  const problems = checkPipeline(JSON.parse(TEXT))
  const format = problems.find((p) => p.path === '$.sources[0].format')!
  const place = problemPlace(TEXT, format)
  assert.equal(TEXT.slice(place.start, place.end), '"jsn"')
  assert.equal(place.fix, '"json"')
  assert.match(place.message, /^\$\.sources\[0\]\.format: "jsn" is not one of/)
})

test('an unknown property: the key, and the known property it resembles', () => {
  const problems = checkPipeline(JSON.parse(TEXT))
  const unknown = problems.find((p) => /unknown property 'mdoe'/.test(p.message))!
  const place = problemPlace(TEXT, unknown)
  assert.equal(TEXT.slice(place.start, place.end), '"mdoe"')
  assert.equal(place.fix, '"mode"')
})

test('broken JSON: the place the parser names, without "position N" in the message', () => {
  const broken = '{\n  "lake": "./lake",\n  "sources": [,]\n}'
  let message = ''
  try {
    JSON.parse(broken)
  } catch (error) {
    message = `not valid JSON: ${(error as Error).message}`
  }
  const place = problemPlace(broken, { path: '$', message })
  assert.equal(broken.slice(place.start, place.end), ',')
  assert.doesNotMatch(place.message, /position \d+/)
  assert.equal(place.fix, undefined)
})
