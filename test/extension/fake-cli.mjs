#!/usr/bin/env node
// A stand-in for `lakehouse run --events` in the runner tests: it speaks the event contract
// (one JSON object per stdout line) for the jobs named by --source/--flow, without a lake.
// FAKE_CLI_MODE: 'run' (default: start, one batch per job, then wait for SIGTERM and stop),
// 'fail' (the first job fails, exit 1), 'crash' (a message on stderr, exit 3, no events),
// 'capture' (like 'run', but the first job ends at once, as a replayed capture does),
// 'views' (like 'run', and the pipeline's view business.v is refreshed: it ends idle).
// FAKE_CLI_SECRET_VAR names a variable whose presence (never its value) is reported on stdout.
const args = process.argv.slice(2)
const jobs = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--source') jobs.push(`source:${args[++i]}`)
  if (args[i] === '--flow') jobs.push(`flow:${args[++i]}`)
}
const emit = (event) => process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`)
const mode = process.env.FAKE_CLI_MODE ?? 'run'
const secretVar = process.env.FAKE_CLI_SECRET_VAR
if (secretVar) process.stdout.write(`${secretVar} ${process.env[secretVar] ? 'is set' : 'is not set'}\n`)
process.stdout.write(`pid ${process.pid} jobs ${jobs.join(',')}\n`)

if (mode === 'crash') {
  process.stderr.write('lakehouse: the lake folder is not writable\n')
  process.exit(3)
}
for (const job of jobs) emit({ type: 'job', job, state: 'starting' })
if (mode === 'fail') {
  emit({ type: 'job', job: jobs[0], state: 'failed', error: 'broker down at $.kafka.brokers' })
  process.exitCode = 1
} else {
  for (const job of jobs) emit({ type: 'job', job, state: 'running' })
  jobs.forEach((job, i) => emit({ type: 'batch', job, table: `raw.t${i}`, version: i + 1, rows: 10, messages: 12, lag: 5, durationMs: 3 }))
  if (mode === 'capture') emit({ type: 'job', job: jobs[0], state: 'stopped' })
  if (mode === 'views') {
    emit({ type: 'job', job: 'view:business.v', state: 'running' })
    emit({
      type: 'refresh',
      job: 'view:business.v',
      table: 'business.v',
      mode: 'full',
      reason: 'first refresh',
      version: 0,
      rowsInserted: 3,
      rowsUpdated: 0,
      rowsDeleted: 0,
      expectations: [{ name: 'positive', onViolation: 'drop', passed: 3, failed: 1 }],
      durationMs: 2,
    })
    emit({ type: 'job', job: 'view:business.v', state: 'idle' })
  }
  emit({ type: 'mystery' })
  const keepAlive = setInterval(() => {}, 1000)
  process.once('SIGTERM', () => {
    for (const job of mode === 'capture' ? jobs.slice(1) : jobs) emit({ type: 'job', job, state: 'stopped' })
    clearInterval(keepAlive)
  })
  // Tests that stop it wait for this line: a SIGTERM before the handler above would just kill it.
  process.stderr.write('fake-cli: ready\n')
}
