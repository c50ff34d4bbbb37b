/**
 * Where one refresh spends its time, phase by phase (milliseconds, in the refresh report): the
 * bench breaks an incremental refresh down with it, to say which costs are fixed and which grow
 * with the changes.
 */
export class RefreshPhases {
  readonly ms: Record<string, number> = {}
  private mark = performance.now()

  /** The time since the previous phase ended, added to `name`. */
  end(name: string): void {
    const now = performance.now()
    this.ms[name] = Math.round(((this.ms[name] ?? 0) + now - this.mark) * 10) / 10
    this.mark = now
  }
}
