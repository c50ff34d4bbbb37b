/**
 * A shaped row (shape.ts) kept as its JSON text and parsed on first use. The raw batch needs
 * only the text and the shape's schema, so most rows are never parsed at all. A row read from a
 * message whose value bytes are its text keeps those bytes instead (the message holds them
 * anyway): an open batch of 50k messages then holds no strings and no parsed objects for the
 * garbage collector to move and mark, and its lines are copies of the bytes. A class rather than
 * an object with its own getters: one object per message.
 *
 * JSON.parse of the text gives the row: a shaped row's text is JSON.stringify of it (the value's
 * own compact text, or its serialisation), and its numbers and strings survive JSON text exactly.
 */
import type { StructType } from '../delta'

const utf8 = new TextDecoder()

export class TextRow {
  readonly kind = 'row'
  #text: string | undefined
  #row: Record<string, unknown> | undefined
  /** The text's UTF-8 bytes, when the row was made from them. */
  readonly bytes: Uint8Array | undefined

  constructor(
    text: string | Uint8Array,
    readonly schema: StructType,
    readonly shape: string,
  ) {
    if (typeof text === 'string') this.#text = text
    else this.bytes = text
  }

  get text(): string {
    return (this.#text ??= utf8.decode(this.bytes))
  }

  get row(): Record<string, unknown> {
    return (this.#row ??= JSON.parse(this.text) as Record<string, unknown>)
  }
}
