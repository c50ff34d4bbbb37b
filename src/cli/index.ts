// Entry point of the `lakehouse` command (bundled to dist/cli.mjs, split per command).
import { runCli } from './main'

// A reader that stops early (`lakehouse query … | head -1`) closes the pipe: that is a normal end
// for a command whose output nobody wants any more, not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})

await runCli(process.argv.slice(2))
