/** "did you mean …?" for a mistyped word: the closest candidates by edit distance. */

/** Levenshtein distance (insertions, deletions, substitutions; a swap of two neighbours counts 1). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/** The candidates close enough to `word` to be what was meant, closest first. */
export function closest(word: string, candidates: readonly string[]): string[] {
  const lower = word.toLowerCase()
  // A third of the word's length, at least 1 and at most 3: `quer` → `query`, not `tables` → `vacuum`.
  const limit = Math.min(3, Math.max(1, Math.floor(lower.length / 3)))
  return candidates
    .map((c) => ({ c, d: c.toLowerCase().startsWith(lower) && lower.length >= 3 ? 0 : editDistance(lower, c.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .map((x) => x.c)
}

/** ` Did you mean 'query'?` (with a leading space), or '' when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[], quote = (c: string) => `'${c}'`): string {
  const found = closest(word, candidates).slice(0, 2)
  return found.length ? ` Did you mean ${found.map(quote).join(' or ')}?` : ''
}
