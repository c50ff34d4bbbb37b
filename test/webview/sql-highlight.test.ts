/**
 * The query box's highlighter (webview/query/sql-highlight.ts) on its own: which runs of SQL get
 * which colour, and that the runs always add up to the text as typed (the highlighted copy lies
 * exactly under the textarea's text), also for text that is half typed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { highlightTokens, type TokenKind } from '../../webview/query/sql-highlight'

const kinds = (text: string) =>
  highlightTokens(text)
    .filter((t) => t.kind !== 'plain')
    .map((t): [TokenKind, string] => [t.kind, t.text])

test('keywords (any case), strings with doubled quotes, quoted names, numbers and both kinds of comment', () => {
  assert.deepEqual(kinds(`select "order id", \`x\`\`y\` FROM raw.orders -- all\nWHERE note = 'it''s' AND n > 1.5e3 /* big */ limit 10`), [
    ['keyword', 'select'],
    ['name', '"order id"'],
    ['name', '`x``y`'],
    ['keyword', 'FROM'],
    ['comment', '-- all'],
    ['keyword', 'WHERE'],
    ['string', "'it''s'"],
    ['keyword', 'AND'],
    ['number', '1.5e3'],
    ['comment', '/* big */'],
    ['keyword', 'limit'],
    ['number', '10'],
  ])
  // Names that contain keywords, functions and table names stay plain.
  assert.deepEqual(kinds('SELECT selected, count(*), from_unixtime(t) FROM raw.fromage'), [
    ['keyword', 'SELECT'],
    ['keyword', 'FROM'],
  ])
})

test('the runs add up to the text exactly, for unfinished strings, names and comments too', () => {
  const texts = [
    "SELECT 'unclosed",
    'SELECT "unclosed',
    'SELECT /* open',
    "x -- c\n\n  y;\t'a'\r\n",
    '',
    '-',
    '1.',
    'SELECT \'<img src=x onerror=alert(1)>\' AS "</script>"',
    'MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET *',
  ]
  for (const text of texts)
    assert.equal(
      highlightTokens(text)
        .map((t) => t.text)
        .join(''),
      text,
      JSON.stringify(text),
    )
  assert.deepEqual(kinds("SELECT 'unclosed"), [
    ['keyword', 'SELECT'],
    ['string', "'unclosed"],
  ])
  assert.deepEqual(kinds('a /* open'), [['comment', '/* open']])
})
