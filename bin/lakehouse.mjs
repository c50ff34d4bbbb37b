#!/usr/bin/env node
// The `lakehouse` command: runs the bundled CLI, or the TypeScript sources through tsx in a checkout
// that has not been built yet.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const bundle = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url))
if (existsSync(bundle)) {
  await import(pathToFileURL(bundle).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(new URL('../src/cli/index.ts', import.meta.url).href)
}
