/**
 * A shaped row (shape.ts) kept as its JSON text and parsed on first use. The raw batch needs
 * only the text and the shape's schema, so most rows are never parsed at all; and an open batch
 * of 50k messages holds 50k strings instead of millions of small objects for the garbage
 * collector to move and mark. A class rather than an object with its own getter: one object per
 * message, not four (object, accessor, closure and its context).
 *
 * JSON.parse of the text gives the row: a shaped row's text is JSON.stringify of it (the value's
 * own compact text, or its serialisation), and its numbers and strings survive JSON text exactly.
 */
import type { StructType } from '../delta/schema'

export class TextRow {
  readonly kind = 'row'
  #row: Record<string, unknown> | undefined
  /** isValueText: `text` is the message value's own text (so the value's bytes are its UTF-8). */
  constructor(readonly text: string, readonly schema: StructType, readonly shape: string, readonly isValueText = false) {}
  get row(): Record<string, unknown> {
    return this.#row ??= JSON.parse(this.text) as Record<string, unknown>
  }
}
