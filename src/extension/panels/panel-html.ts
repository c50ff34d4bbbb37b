/**
 * The HTML page of a panel. Kept free of `vscode` so the browser tests serve exactly the page
 * (and the Content-Security-Policy) the extension gives VS Code. The page is an empty shell: the
 * panel's script builds everything from data with DOM calls, so nothing here is filled from data
 * except the title, which is escaped.
 *
 * The panel's script and stylesheet (our own bundles, never data) are in the page itself: a file
 * the page links is fetched through the webview's service worker and the workbench, a round trip
 * per file on the way to the first paint (30–50 ms in code-server).
 *
 * The policy allows only the panel's own script and style (by nonce; web components add theirs as
 * constructable stylesheets, which CSP permits); no inline handlers, no `eval`, no network, no frames.
 */
import { randomBytes } from 'node:crypto'
import type { PanelKind } from '../../../webview/shared/protocol'

export interface PanelPage {
  kind: PanelKind
  title: string
  /** `webview.cspSource`: the origin the webview loads local resources from. */
  cspSource: string
  /** The panel's bundles (dist/webview/<kind>.js and .css), as text. */
  script: string
  style: string
  /** A fresh one per page load (see `newNonce`). */
  nonce: string
}

/** 128 random bits, base64: a nonce nobody can guess (Math.random would not do). */
export function newNonce(): string {
  return randomBytes(16).toString('base64')
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `base-uri 'none'`,
    `form-action 'none'`,
  ].join('; ')
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c])

/**
 * A bundle's text inside its element. `</script` (or `</style`) would end the element early and
 * `<!--` would change how the rest of a script is parsed, so their `<` is escaped as JavaScript
 * (`\x3C`, the same character in strings, templates and regular expressions) or CSS (`<\/`)
 * reads it. The source-map comment goes: the map is not in the page's reach.
 */
export function inlineText(text: string, tag: 'script' | 'style'): string {
  const escaped = tag === 'script' ? text.replace(/<(\/script|!--)/gi, '\\x3C$1') : text.replace(/<\/(style)/gi, '<\\/$1')
  return escaped.replace(/\n\/[*/]# sourceMappingURL=\S+(?: \*\/)?\s*$/, '\n')
}

export function panelHtml(page: PanelPage): string {
  const nonce = escapeHtml(page.nonce)
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(page.cspSource, page.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style nonce="${nonce}">${inlineText(page.style, 'style')}</style>
</head>
<body data-panel="${page.kind}">
<main id="app" aria-busy="true"></main>
<script nonce="${nonce}">${inlineText(page.script, 'script')}</script>
</body>
</html>
`
}
