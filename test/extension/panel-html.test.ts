/**
 * The panel page as the extension gives it to VS Code (panel-html.ts): the panel's bundles are in
 * the page, and no text of theirs can end their element early or change how it is parsed.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { contentSecurityPolicy, inlineText, panelHtml } from '../../src/extension/panels/panel-html'

test("a bundle's </script, <!-- and </style cannot end its element, and the script still means the same", () => {
  const script =
    'window.a = "</script><script>alert(1)</script>"; window.b = "<!--"; window.c = /<\\/SCRIPT>/i.test("</SCRIPT>")\n//# sourceMappingURL=query.js.map\n'
  const inlined = inlineText(script, 'script')
  assert.doesNotMatch(inlined, /<\/script|<!--/i)
  assert.doesNotMatch(inlined, /sourceMappingURL/)
  const scope: Record<string, unknown> = {}
  new Function('window', inlined)(scope)
  assert.deepEqual(scope, { a: '</script><script>alert(1)</script>', b: '<!--', c: true })

  const style = '.a::after { content: "</style><img src=x>" }\n/*# sourceMappingURL=query.css.map */\n'
  const inlinedStyle = inlineText(style, 'style')
  assert.doesNotMatch(inlinedStyle, /<\/style|sourceMappingURL/i)
  assert.match(inlinedStyle, /content: "<\\\/style><img src=x>"/)
})

test('the page holds one script and one style, both with the nonce, under the same policy', () => {
  const html = panelHtml({
    kind: 'query',
    title: 'raw.orders <b>',
    cspSource: 'https://webview.test',
    script: 'let x = "</script>"',
    style: 'body{}',
    nonce: 'abc+/=',
  })
  assert.equal(html.match(/<script\b/g)?.length, 1)
  assert.equal(html.match(/<style\b/g)?.length, 1)
  assert.match(html, /<script nonce="abc\+\/=">let x = "\\x3C\/script>"<\/script>/)
  assert.match(html, /<style nonce="abc\+\/=">body\{\}<\/style>/)
  assert.match(html, /<title>raw\.orders &lt;b&gt;<\/title>/)
  // The policy is the one the page always had (quoted as an attribute): scripts by nonce only.
  const policy = contentSecurityPolicy('https://webview.test', 'abc+/=')
  assert.ok(html.includes(`content="${policy.replaceAll("'", '&#39;')}"`))
  assert.match(policy, /script-src 'nonce-abc\+\/=';/)
})
