/**
 * SQL predicate text: split at top-level ANDs (outside parentheses, strings and quoted names), so
 * the conjuncts that involve only partition columns can prune files on their own.
 */
export function splitConjuncts(predicate: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  let i = 0
  // The AND of `x BETWEEN a AND b` belongs to the BETWEEN, not to the conjunction.
  let betweenPending = false
  while (i < predicate.length) {
    const c = predicate[i]
    if (c === "'" || c === '"') {
      i++
      while (i < predicate.length && !(predicate[i] === c && predicate[i + 1] !== c)) i += predicate[i] === c ? 2 : 1
    } else if (c === '(') depth++
    else if (c === ')') depth--
    else if (depth === 0 && /^between\b/i.test(predicate.slice(i)) && !/\w/.test(predicate[i - 1] ?? ' ')) betweenPending = true
    else if (depth === 0 && /^and\b/i.test(predicate.slice(i)) && /\s|\)/.test(predicate[i - 1] ?? ' ') && /[\s(]/.test(predicate[i + 3] ?? '')) {
      if (betweenPending) {
        betweenPending = false
        i += 3
        continue
      }
      parts.push(predicate.slice(start, i))
      i += 3
      start = i
      continue
    }
    i++
  }
  parts.push(predicate.slice(start))
  return parts.map((p) => p.trim()).filter((p) => p.length > 0)
}
