#!/usr/bin/env node
// The `lakehouse` command: runs the bundle, dist/cli.mjs (split per command, so it starts in tens of
// milliseconds). In a source checkout the bundle is rebuilt first whenever a source is newer than it,
// so it is never stale: checking takes a few milliseconds, rebuilding about a second.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bundle = path.join(root, 'dist', 'cli.mjs')

/** The newest modification time under the inputs of the CLI bundle. */
function newestSource() {
  let newest = 0
  const visit = (file) => {
    newest = Math.max(newest, statSync(file).mtimeMs)
  }
  for (const dir of ['src', 'schemas']) {
    for (const entry of readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) visit(path.join(entry.parentPath ?? entry.path, entry.name))
    }
  }
  for (const file of ['package.json', 'esbuild.config.mjs']) visit(path.join(root, file))
  return newest
}

async function rebuild() {
  const [{ build }, { cliBuild }] = await Promise.all([import('esbuild'), import(pathToFileURL(path.join(root, 'esbuild.config.mjs')).href)])
  const result = await build({ ...cliBuild, absWorkingDir: root, write: false, logLevel: 'error' })
  // Chunks first, the entry last and by rename: a command starting meanwhile runs the old bundle or
  // the new one, never half of one.
  const files = result.outputFiles.sort((a, b) => Number(a.path === bundle) - Number(b.path === bundle))
  for (const file of files) {
    mkdirSync(path.dirname(file.path), { recursive: true })
    const temporary = `${file.path}.${process.pid}.tmp`
    writeFileSync(temporary, file.contents)
    renameSync(temporary, file.path)
  }
  // The chunks of earlier builds (their names carry content hashes) are no longer imported.
  const current = new Set(files.map((f) => path.basename(f.path)))
  const chunks = path.join(root, 'dist', 'cli-chunks')
  for (const name of readdirSync(chunks)) if (!current.has(name)) rmSync(path.join(chunks, name), { force: true })
}

if (existsSync(path.join(root, 'src', 'cli', 'index.ts')) && (!existsSync(bundle) || statSync(bundle).mtimeMs < newestSource())) {
  await rebuild()
}
await import(pathToFileURL(bundle).href)
