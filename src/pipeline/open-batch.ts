/**
 * Batching for the ingest jobs: the default limits (both jobs), and the Kafka job's open batch
 * with its back-pressure. Messages collect in one open batch, which closes
 * when it holds `maxMessages` messages or `maxBytes` of keys and values, or is `maxMs` old, or
 * when the job has read everything there is (`closeWhenIdle`) and no write is in progress: as
 * Spark's default trigger starts the next micro-batch as soon as the last one is done, a quiet
 * topic's message is committed at once instead of waiting out `maxMs`, while a backlog still
 * fills whole batches (its fetches end before the high watermark).
 * Closed batches are written one at a time, in order, on one chain, while the fetch loop goes on
 * filling the next open batch; `close()` resolves once the write of the batch before it has ended
 * (its own write has begun), so a caller that awaits it holds the fetch loop meanwhile. Memory
 * then holds at most the batch being written, the next open batch and one fetch response.
 */
import type { IngestMessage } from './ingest-message'

export const DEFAULT_BATCH_MESSAGES = 50_000
/**
 * A batch also closes at this many bytes of keys and values, so that a topic of large messages
 * (10 MB each) does not gather 50,000 of them in memory; 50,000 values of 500 B stay under it.
 */
export const DEFAULT_BATCH_BYTES = 32 * 2 ** 20
export const DEFAULT_BATCH_MS = 1_000

/** What a message weighs against `batch.maxBytes`: its key and value as received. */
export function messageBytes(message: { key: Uint8Array | null; value: Uint8Array | null }): number {
  return (message.key?.length ?? 0) + (message.value?.length ?? 0)
}

export interface BatchLimits {
  maxMessages: number
  maxBytes: number
  maxMs: number
}

export interface BatchWriter {
  /** Write one closed batch (its rows and its offsets, then whatever follows a commit). */
  write(messages: IngestMessage[]): Promise<void>
  /** False once the job has failed: nothing more is written. */
  mayWrite(): boolean
  /** A write failed: the chain goes on, writing nothing more (see mayWrite). */
  failed(error: unknown): void
}

export class OpenBatch {
  private messages: IngestMessage[] = []
  /** Bytes of keys and values in the open batch (maxBytes). */
  private bytes = 0
  private timer: NodeJS.Timeout | undefined
  /** Every closed batch written (never rejects: a failed write goes to writer.failed). */
  written: Promise<void> = Promise.resolve()
  /** The last closed batch's write has begun: every batch before it is written. */
  begun: Promise<void> = Promise.resolve()
  /** Closed batches not written yet. */
  private unwritten = 0
  /** Caught up while a write was in progress: close what the open batch holds once it ends. */
  private closeAfterWrites = false

  constructor(
    private readonly limits: BatchLimits,
    private readonly writer: BatchWriter,
  ) {}

  /** Add a message; when that closes the batch, the close to await (see close). */
  add(message: IngestMessage): Promise<void> | undefined {
    this.messages.push(message)
    this.bytes += messageBytes(message)
    if (this.messages.length === 1)
      this.timer = setTimeout(() => {
        void this.close()
      }, this.limits.maxMs)
    if (this.messages.length >= this.limits.maxMessages || this.bytes >= this.limits.maxBytes) return this.close()
    return undefined
  }

  /**
   * Close the open batch and write it after any write in progress; resolves when its write has
   * begun (the batch before it is written), `written` when it is written.
   */
  close(): Promise<void> {
    this.stopTimer()
    const messages = this.messages
    this.messages = []
    this.bytes = 0
    this.closeAfterWrites = false
    if (messages.length === 0) return this.begun
    const before = this.written
    this.unwritten++
    this.written = before
      .then(() => (this.writer.mayWrite() ? this.writer.write(messages) : undefined))
      .catch((error) => this.writer.failed(error))
      .finally(() => this.writeEnded())
    this.begun = before
    return this.begun
  }

  /**
   * Everything there is has been read: close now when no write is in progress, else as soon as the
   * writes end (what arrives meanwhile joins the batch).
   */
  closeWhenIdle(): void {
    if (this.messages.length === 0) return
    if (this.unwritten === 0) void this.close()
    else this.closeAfterWrites = true
  }

  private writeEnded(): void {
    this.unwritten--
    if (this.unwritten === 0 && this.closeAfterWrites) {
      this.closeAfterWrites = false
      void this.close()
    }
  }

  /** Run `work` on the write chain, after every batch closed so far (an accepted gap's record). */
  afterWrites(work: () => Promise<void>): void {
    this.written = this.written.then(() => (this.writer.mayWrite() ? work() : undefined)).catch((error) => this.writer.failed(error))
  }

  stopTimer(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
