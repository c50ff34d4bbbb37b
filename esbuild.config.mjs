// Bundles the extension host (CommonJS, as VS Code loads it), the `lakehouse` CLI (ESM) and each
// webview (webview/<panel>/main.ts, browser IIFE). Native and heavy modules stay external:
// DuckDB is an N-API addon shipped in node_modules; kafkajs loads lazily.
import * as esbuild from 'esbuild'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import * as path from 'node:path'

const watch = process.argv.includes('--watch')
const production = process.argv.includes('--production')
const external = ['vscode', '@duckdb/node-api', '@duckdb/node-bindings', '@duckdb/node-bindings-*']

// The export's Python lives in src/export/python/*.py and is bundled as text (src/export/python-parts.ts).
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info', target: 'node20', platform: 'node', loader: { '.py': 'text' } }

const webviewEntries = existsSync('webview')
  ? readdirSync('webview', { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(path.join('webview', d.name, 'main.ts')))
      .map((d) => ({ in: path.join('webview', d.name, 'main.ts'), out: d.name }))
  : []

/**
 * The CLI, split per command (src/cli/main.ts imports each command when it runs): `lakehouse --help`
 * parses a few kilobytes, and `query` never parses kafkajs. dist/cli.mjs is the entry; the chunks
 * go to dist/cli-chunks/. bin/lakehouse.mjs rebuilds it from a checkout when a source is newer.
 */
export const cliBuild = {
  ...common,
  entryPoints: { cli: 'src/cli/index.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'cli-chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  format: 'esm',
  external,
  // Some dependencies are CommonJS and call require(); give each ESM chunk one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
}

const builds = [{ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.cjs', format: 'cjs', external }, cliBuild]
if (webviewEntries.length) {
  builds.push({ ...common, entryPoints: webviewEntries, outdir: 'dist/webview', format: 'iife', platform: 'browser', target: 'es2022', metafile: true })
}

/** One line per panel: its script and stylesheet as shipped (source maps left out). */
function reportPanelSizes(metafile) {
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`
  for (const { out } of webviewEntries) {
    const size = (ext) => metafile.outputs[`dist/webview/${out}.${ext}`]?.bytes ?? 0
    console.log(`webview ${out.padEnd(8)} js ${kb(size('js')).padStart(9)}  css ${kb(size('css')).padStart(8)}`)
  }
}

// Imported by bin/lakehouse.mjs for cliBuild alone: build only when run as a script.
const isScript = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)
if (!isScript) {
  // nothing: imported for its options
} else if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch()
} else {
  // Chunk names carry content hashes: clear the old ones, or packages would carry every past build.
  rmSync('dist/cli-chunks', { recursive: true, force: true })
  const results = await Promise.all(builds.map((options) => esbuild.build(options)))
  const webview = results.find((r, i) => builds[i].outdir === 'dist/webview')
  if (webview?.metafile) reportPanelSizes(webview.metafile)
}
