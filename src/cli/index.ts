// Entry point of the `lakehouse` command (bundled to dist/cli.mjs).
import { runCli } from './main'

await runCli(process.argv.slice(2))
