/** Finding a pipeline problem's JSON path in the file's text, for "open the file at the problem". */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { locateJsonPath, offsetFromParseError, parseJsonPath } from '../../src/extension/json-locate'

const text = `{
  "lake": "./lake",
  "kafka": { "brokers": ["localhost:9092"] },
  "sources": [
    { "name": "a", "topic": "t", "format": "json", "table": "raw.a" },
    { "name": "b\\"q", "file": "x.jsonl", "format": "xml", "table": "raw.b" }
  ],
  "empty": {}, "list": [], "n": -1.5e3, "t": true, "z": null
}`

const at = (path: string) => {
  const range = locateJsonPath(text, path)!
  return {
    value: text.slice(range.start, range.end),
    key: range.keyStart !== undefined ? text.slice(range.keyStart, range.start) : undefined,
    depth: range.depth,
  }
}

test('JSON paths split into keys and indexes', () => {
  assert.deepEqual(parseJsonPath('$.sources[1].format'), ['sources', 1, 'format'])
  assert.deepEqual(parseJsonPath('$'), [])
  assert.deepEqual(parseJsonPath('$.kafka.sasl.passwordEnv'), ['kafka', 'sasl', 'passwordEnv'])
})

test('a path finds its value and key', () => {
  assert.deepEqual(at('$.sources[1].format'), { value: '"xml"', key: '"format": ', depth: 3 })
  assert.equal(at('$.kafka.brokers[0]').value, '"localhost:9092"')
  assert.equal(at('$.sources[1].name').value, '"b\\"q"')
  assert.equal(at('$.n').value, '-1.5e3')
  assert.equal(at('$.z').value, 'null')
  assert.equal(at('$.empty').value, '{}')
  assert.equal(at('$').value, text)
})

test('a path that goes further than the text stops at the deepest value on the way', () => {
  assert.deepEqual(at('$.kafka.sasl.passwordEnv'), { value: '{ "brokers": ["localhost:9092"] }', key: '"kafka": ', depth: 1 })
  assert.equal(at('$.sources[7]').depth, 1)
})

test('text that is not JSON locates nothing; a parse error message gives its offset', () => {
  assert.equal(locateJsonPath('{"a": 1,}', '$.a'), undefined)
  assert.equal(locateJsonPath('{"a": 1} x', '$.a'), undefined)
  let message = ''
  try {
    JSON.parse('{\n  "a": 1,\n}')
  } catch (error) {
    message = (error as Error).message
  }
  const offset = offsetFromParseError('{\n  "a": 1,\n}', message)
  assert.ok(offset !== undefined && offset >= 10 && offset <= 13, `${message} → ${offset}`)
  assert.equal(offsetFromParseError('ab\ncd', 'Unexpected token (line 2 column 2)'), 4)
  assert.equal(offsetFromParseError('x', 'no position here'), undefined)
})
