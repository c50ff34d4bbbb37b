/**
 * Writes made from a query panel, announced to the other open panels (a history panel of the
 * table shows the new commit). The Lake view is refreshed by the glue (PanelDeps.onLakeWrite).
 */
type Listener = (tablePaths: ReadonlySet<string>) => void

const listeners = new Set<Listener>()

export function announceLakeWrites(tablePaths: string[]): void {
  const paths = new Set(tablePaths)
  for (const listener of listeners) listener(paths)
}

/** Calls `listener` after each write; returns what stops it. */
export function onLakeWrites(listener: Listener): { dispose(): void } {
  listeners.add(listener)
  return { dispose: () => listeners.delete(listener) }
}
