/**
 * Previews a flow's transforms on sample rows (the topic panel's "flattened row" view): each step's
 * columns and first rows, so the user sees what every transform does as they edit the file.
 */
import { quoteString, type StructType } from '../delta'
import type { LakeEngine } from '../engine'
import { applyTransforms, describeRelation } from './apply'
import { typedJsonSelect } from './json-rows'
import { TransformError, type Column, type Transform } from './types'

export interface PreviewStep {
  /** 'input' for the sample itself, else the transform's op. */
  op: string
  columns: Column[]
  rows: Record<string, unknown>[]
}

export interface TransformPreview {
  steps: PreviewStep[]
  children: { table: string; columns: Column[]; rows: Record<string, unknown>[] }[]
  /** Set when a transform cannot apply: the steps before it are still shown. */
  error?: { step: number; message: string }
}

let previewCounter = 0

export async function previewTransforms(
  lake: LakeEngine,
  sample: { rows: Record<string, unknown>[]; schema: StructType },
  transforms: Transform[],
  options: { key?: string[]; limit?: number } = {},
): Promise<TransformPreview> {
  const db = await lake.duckdb()
  const limit = options.limit ?? 50
  const id = ++previewCounter
  const texts = `__preview_json_${id}`
  const input = `__preview_input_${id}`
  await db.run(`CREATE TEMP TABLE ${texts} (j JSON)`)
  try {
    const values = sample.rows.map((row) => `(${quoteString(JSON.stringify(row))})`)
    for (let i = 0; i < values.length; i += 500) await db.run(`INSERT INTO ${texts} VALUES ${values.slice(i, i + 500).join(', ')}`)
    await db.run(`CREATE TEMP TABLE ${input} AS ${typedJsonSelect(texts, 'j', sample.schema)}`)
    const rowsOf = async (sql: string) => db.rows(`SELECT * FROM ${sql} LIMIT ${limit}`) as Promise<Record<string, unknown>[]>
    const steps: PreviewStep[] = [{ op: 'input', columns: await describeRelation(db, input), rows: await rowsOf(input) }]
    const preview: TransformPreview = { steps, children: [] }
    // Apply one more transform at a time, so a failing step still shows the ones before it.
    for (let n = 1; n <= transforms.length; n++) {
      let batch
      try {
        batch = await applyTransforms(db, { sql: input, columns: steps[0].columns }, transforms.slice(0, n), { key: options.key })
      } catch (error) {
        preview.error = { step: error instanceof TransformError ? error.step : n - 1, message: (error as Error).message }
        break
      }
      try {
        steps.push({ op: transforms[n - 1].op, columns: batch.main.columns, rows: await rowsOf(batch.main.sql) })
        if (n === transforms.length) {
          for (const child of batch.children)
            preview.children.push({ table: child.table, columns: child.relation.columns, rows: await rowsOf(child.relation.sql) })
        }
      } catch (error) {
        preview.error = { step: n - 1, message: (error as Error).message }
        break
      } finally {
        await batch.dispose()
      }
    }
    return preview
  } finally {
    await db.run(`DROP TABLE IF EXISTS ${input}; DROP TABLE IF EXISTS ${texts}`)
  }
}
