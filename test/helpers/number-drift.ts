/**
 * An order stream whose numbers change spelling (a JSON serializer prints 133.0 as `133`) and
 * whose documents gain fields mid-stream in every nesting position: top level (`note`), a struct
 * (`customer.vip`), a struct in a struct (`customer.address.zip`), a list of structs
 * (`items[].discount`), a struct in a list in a struct (`shipping.parcels[].dims.w`), and an object
 * with dynamic keys (`attrs.size`; JSON objects are structs to inference). The generator keeps the
 * true documents as it wrote them, so the expected values never come from the code under test.
 *
 * Also what reading them back needs: a raw row turned into the document it stores, with what
 * `_rescued_data` kept put back at its path, so a test can say "nothing was lost, exactly".
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
export type Doc = { [key: string]: Json }

/** Money with two decimals, sometimes whole: `whole` picks which. */
const money = (base: number, whole: boolean) => (whole ? base : base + 0.25)

export function orderStream(count: number): { docs: Doc[]; texts: string[] } {
  const docs: Doc[] = []
  for (let i = 0; i < count; i++) {
    const address: Doc = { city: `city ${i % 7}` }
    if (i >= 20) address.zip = `z${i}`
    const customer: Doc = { name: `customer ${i}`, address }
    if (i >= 15) customer.vip = i % 2 === 0
    const items: Doc[] = [{ sku: `a${i}`, price: money(10 + i, i % 2 === 1), qty: 1 + (i % 3) }]
    if (i % 4 === 0) items.push({ sku: `b${i}`, price: money(3, i % 8 === 4), qty: 2 })
    if (i >= 30) items[0].discount = money(1, i % 3 === 0)
    const dims: Doc = { h: money(2, i % 5 === 0) }
    if (i >= 40) dims.w = money(4, i % 2 === 0)
    const parcels: Doc[] = [{ weight: money(1, i % 4 === 0), dims }]
    const attrs: Doc = { color: i % 2 === 0 ? 'red' : 'blue' }
    if (i >= 50) attrs.size = money(40, i % 3 === 1)
    const doc: Doc = { id: i, total: money(100 + i, i % 3 === 0), customer, items, shipping: { parcels }, attrs }
    if (i >= 10) doc.note = `note ${i}`
    docs.push(doc)
  }
  // JSON.stringify prints 133.0 as 133: the spelling real serializers use.
  return { docs, texts: docs.map((d) => JSON.stringify(d)) }
}

/** The document a raw row holds: its columns without the Kafka ones and nulls, rescued values put back at their paths. */
export function storedDocument(row: Record<string, unknown>): Doc {
  const doc = withoutNulls(Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('_')))) as Doc
  const rescued = row._rescued_data
  if (typeof rescued === 'string') {
    for (const [at, value] of Object.entries(JSON.parse(rescued) as Record<string, Json>)) setAt(doc, at, value)
  }
  return doc
}

/** Numbers as numbers (DuckDB's DECIMAL may come back as text), nulls left out. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = withoutNulls(v)
    return out
  }
  if (typeof value === 'bigint') return Number(value)
  return value
}

/** Sets `a.b[2].c` in a document (the paths rescue.ts writes). */
function setAt(doc: Doc, at: string, value: Json): void {
  const parts = at.match(/[^.[\]]+|\[\d+\]/g) ?? []
  let target: Record<string, unknown> | unknown[] = doc
  parts.forEach((part, i) => {
    const key: string | number = part.startsWith('[') ? Number(part.slice(1, -1)) : part
    if (i === parts.length - 1) {
      ;(target as Record<string | number, unknown>)[key] = value
      return
    }
    const next = (target as Record<string | number, unknown>)[key]
    if (next === undefined || next === null) throw new Error(`rescued path ${at}: nothing at ${part}`)
    target = next as Record<string, unknown>
  })
}
