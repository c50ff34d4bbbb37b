#!/usr/bin/env node
// Packages the extension as a .vsix for one platform. DuckDB is a native addon, so VS Code needs one
// package per target, each carrying that target's binding (@duckdb/node-bindings-<platform>) and no
// other. npm installs only this machine's binding; for another target install it first, e.g.
//   npm install --no-save --force @duckdb/node-bindings-darwin-arm64@<version of @duckdb/node-bindings>
// usage: node scripts/package-vsix.mjs [TARGET] [--no-build] [--out FILE]
//   TARGET: linux-x64 (default), linux-arm64, alpine-x64, alpine-arm64, darwin-x64, darwin-arm64,
//           win32-x64, win32-arm64 (vsce's names)
//   --no-build: package dist/ as it is (the end-to-end tests: another suite may be reading dist/)
//   --out FILE: default dist/local-lakehouse-TARGET.vsix
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const option = (name) => {
  const at = args.indexOf(name)
  return at < 0 ? undefined : args.splice(at, 2)[1]
}
const noBuild = args.includes('--no-build') && !!args.splice(args.indexOf('--no-build'), 1)
const out = path.resolve(option('--out') ?? path.join(root, 'dist', `local-lakehouse-${args[0] ?? 'linux-x64'}.vsix`))
const target = args[0] ?? 'linux-x64'

// vsce's target → DuckDB's binding package (Alpine is musl libc).
const BINDINGS = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'alpine-x64': 'linux-x64-musl',
  'alpine-arm64': 'linux-arm64-musl',
  'darwin-x64': 'darwin-x64',
  'darwin-arm64': 'darwin-arm64',
  'win32-x64': 'win32-x64',
  'win32-arm64': 'win32-arm64',
}
const fail = (message) => {
  process.stderr.write(`package-vsix: ${message}\n`)
  process.exit(1)
}
const binding = BINDINGS[target]
if (!binding) fail(`unknown target '${target}'; one of ${Object.keys(BINDINGS).join(', ')}`)
const bindingPackage = `@duckdb/node-bindings-${binding}`
if (!existsSync(path.join(root, 'node_modules', bindingPackage, 'package.json'))) {
  const version = JSON.parse(readFileSync(path.join(root, 'node_modules/@duckdb/node-bindings/package.json'), 'utf8')).version
  fail(`${bindingPackage} is not installed; install it with:\n  npm install --no-save --force ${bindingPackage}@${version}`)
}

const run = (command, commandArgs) => {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
if (!noBuild) run(process.execPath, ['esbuild.config.mjs', '--production'])

// .vscodeignore lets every installed binding in; this package takes the target's only.
// (and takes the README from --readme-path, below, not from the list).
const ignore = readFileSync(path.join(root, '.vscodeignore'), 'utf8')
  .replaceAll('node-bindings-*/', `node-bindings-${binding}/`)
  .replace(/^!README\.md$/m, '')
const scratch = mkdtempSync(path.join(tmpdir(), 'lakehouse-vsix-'))
try {
  const ignoreFile = path.join(scratch, '.vscodeignore')
  writeFileSync(ignoreFile, ignore)
  // The README's screenshots and links to other files are files of the repository, which has no
  // public URL vsce could point them at: the packaged README leaves the screenshots out and keeps
  // such a link's text (the Details page shows the text; links within the README stay).
  const readme = path.join('dist', 'README.vsix.md')
  const packagedReadme = readFileSync(path.join(root, 'README.md'), 'utf8')
    .replace(/^\s*!\[[^\]]*\]\([^)]*\)\n/gm, '')
    .replace(/\[([^\]]+)\]\((?!#|https?:)[^)]*\)/g, '$1')
  writeFileSync(path.join(root, readme), packagedReadme)
  run(path.join(root, 'node_modules', '.bin', 'vsce'), [
    'package',
    '--target',
    target,
    '--skip-license',
    '--ignoreFile',
    ignoreFile,
    '--readme-path',
    readme,
    '--out',
    out,
  ])
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
