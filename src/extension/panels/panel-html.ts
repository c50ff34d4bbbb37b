/**
 * The HTML page of a panel. Kept free of `vscode` so the browser tests serve exactly the page
 * (and the Content-Security-Policy) the extension gives VS Code. The page is an empty shell: the
 * panel's script builds everything from data with DOM calls, so nothing here is filled from data
 * except the title, which is escaped.
 *
 * The policy allows only the panel's own script (by nonce) and stylesheets from the extension's
 * webview folder (web components add theirs as constructable stylesheets, which CSP permits);
 * no inline handlers, no `eval`, no network, no frames.
 */
import { randomBytes } from 'node:crypto'
import type { PanelKind } from '../../../webview/shared/protocol'

export interface PanelPage {
  kind: PanelKind
  title: string
  /** `webview.cspSource`: the origin the webview loads local resources from. */
  cspSource: string
  /** URIs as the webview sees them (`webview.asWebviewUri`). */
  scriptUri: string
  styleUri: string
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

export function panelHtml(page: PanelPage): string {
  const nonce = escapeHtml(page.nonce)
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(page.cspSource, page.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<link rel="stylesheet" href="${escapeHtml(page.styleUri)}" nonce="${nonce}">
</head>
<body data-panel="${page.kind}">
<main id="app" aria-busy="true"></main>
<script nonce="${nonce}" src="${escapeHtml(page.scriptUri)}"></script>
</body>
</html>
`
}
