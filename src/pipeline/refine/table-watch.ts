/**
 * Waiting for a table's next commit without polling in a loop: the storage watches the
 * `_delta_log` folder where it can (inotify on a local disk), with a slow timer as a safety net for
 * storages that cannot (object stores) or file systems that do not report changes (network mounts).
 */
import { commitFileName, type Storage, type StorageWatch } from '../../delta'

const SAFETY_NET_MS = 5_000

/** Resolves once version `after + 1` of the table exists, or when `signal` aborts. */
export async function waitForCommit(storage: Storage, table: string, after: number, signal?: AbortSignal): Promise<void> {
  const log = storage.join(table, '_delta_log')
  const next = storage.join(log, commitFileName(after + 1))
  if (signal?.aborted || (await storage.stat(next))) return
  await new Promise<void>((resolve) => {
    let watcher: StorageWatch | undefined
    let timer: NodeJS.Timeout | undefined
    const done = () => {
      watcher?.close()
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const check = async () => {
      if (await storage.stat(next)) done()
      else timer = setTimeout(check, SAFETY_NET_MS)
    }
    signal?.addEventListener('abort', done, { once: true })
    // No watch when there is no log folder yet (the table is not created): the timer finds the first commit.
    watcher = storage.watch?.(log, (name) => {
      if (name === commitFileName(after + 1)) done()
    })
    timer = setTimeout(check, SAFETY_NET_MS)
    // The commit may have landed between the first check and the watch.
    void storage.stat(next).then((found) => found && done())
  })
}
