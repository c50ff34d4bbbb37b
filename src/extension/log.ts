/**
 * The "Lakehouse" output channel: one line per event, `event {"key":value,…}`, so a log can be
 * grepped and read by a test. Every line passes through redaction of the secrets this session has
 * seen (read from or stored into SecretStorage): a secret that reached a message by accident (a
 * child's stderr, an error text) is masked before it is written.
 */
import * as vscode from 'vscode'

export type Fields = Record<string, unknown>

export class Log implements vscode.Disposable {
  private readonly secrets = new Set<string>()

  constructor(readonly channel: vscode.LogOutputChannel) {}

  /** Mask this value wherever it appears from now on. Short values are not masked: they would mangle the log. */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 4) this.secrets.add(value)
  }

  redact(text: string): string {
    let out = text
    for (const secret of this.secrets) out = out.split(secret).join('***')
    return out
  }

  info(event: string, fields?: Fields): void {
    this.channel.info(this.line(event, fields))
  }

  warn(event: string, fields?: Fields): void {
    this.channel.warn(this.line(event, fields))
  }

  debug(event: string, fields?: Fields): void {
    this.channel.debug(this.line(event, fields))
  }

  /** An error with its stack (for bug reports), redacted like everything else. */
  error(event: string, error: unknown, fields?: Fields): void {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error)
    this.channel.error(this.line(event, { ...fields, error: detail }))
  }

  show(): void {
    this.channel.show(true)
  }

  dispose(): void {
    this.channel.dispose()
  }

  private line(event: string, fields?: Fields): string {
    if (!fields || Object.keys(fields).length === 0) return this.redact(event)
    return this.redact(`${event} ${JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}`)
  }
}
