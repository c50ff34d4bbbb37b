/**
 * Typed errors (issue 17 part 5): code in src/ throws its layer's error classes (DeltaError,
 * KafkaError, PipelineError, ExtensionError, …), never a plain `Error`, so that callers can tell what
 * failed and whether it may be retried (`retriable`) without reading messages.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { sourceFiles } from './imports'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const PLAIN_ERROR = /\b(?:new\s+Error|throw\s+Error)\s*\(/

test('no file in src/ creates a plain Error', () => {
  const files = sourceFiles(root, ['src'])
  assert.ok(files.length > 100, `read the sources (${files.length} files)`)
  const found = files.flatMap((file) =>
    readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .flatMap((line, i) => (PLAIN_ERROR.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  )
  assert.deepEqual(found, [], 'throw the layer’s error class instead')
})

test('the check finds a plain Error', () => {
  assert.ok(PLAIN_ERROR.test("throw new Error('x')") && PLAIN_ERROR.test('throw Error(`x`)'))
  assert.ok(!PLAIN_ERROR.test("throw new DeltaError('INVALID_ARGUMENT', 'x')") && !PLAIN_ERROR.test('new ExtensionError(message)'))
})
