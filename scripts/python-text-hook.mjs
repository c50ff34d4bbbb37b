// `node --import ./scripts/python-text-hook.mjs`: imports of .py files give their text, as esbuild's
// text loader does in the bundles (esbuild.config.mjs). The export keeps its Python in
// src/export/python/*.py; tsx, which runs the sources in the tests, does not load other file types.
import { register } from 'node:module'

const hooks = `
import { readFile } from 'node:fs/promises'
export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !new URL(url).pathname.endsWith('.py')) return nextLoad(url, context)
  const text = await readFile(new URL(url), 'utf8')
  return { format: 'module', source: 'export default ' + JSON.stringify(text), shortCircuit: true }
}
`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
