#!/usr/bin/env node
// The `lakehouse` command. In a source checkout it runs the TypeScript sources through tsx, so it is
// never a stale build; in an installed package (no src/) it runs the bundled CLI.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const source = fileURLToPath(new URL('../src/cli/index.ts', import.meta.url))
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(pathToFileURL(source).href)
} else {
  await import(new URL('../dist/cli.mjs', import.meta.url).href)
}
