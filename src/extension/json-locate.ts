/**
 * Where a JSON path (`$.sources[1].format`, as pipeline problems name them) is in a JSON text, so a
 * notification can open the pipeline file at the offending value. A small parser that keeps
 * offsets: JSON.parse forgets them, and the jsonc-parser package is not a dependency of ours.
 * No vscode import: unit-tested on its own.
 */

export interface JsonRange {
  /** Offset of the value. */
  start: number
  /** Offset just past the value. */
  end: number
  /** Offset of the member's key, when the value is an object member. */
  keyStart?: number
  /** How many segments of the path were found: less than asked when the path goes further than the text. */
  depth: number
}

interface JsonNode {
  start: number
  end: number
  keyStart?: number
  members?: Map<string, JsonNode>
  items?: JsonNode[]
}

/** `$.sources[1].format` → ['sources', 1, 'format'] */
export function parseJsonPath(path: string): (string | number)[] {
  const segments: (string | number)[] = []
  const pattern = /\.([^.[\]]+)|\[(\d+)\]/g
  for (const match of path.replace(/^\$/, '').matchAll(pattern)) segments.push(match[2] !== undefined ? Number(match[2]) : match[1])
  return segments
}

/** The range of the value at `path`, or of the deepest value on the way to it; undefined when the text is not JSON. */
export function locateJsonPath(text: string, path: string): JsonRange | undefined {
  let root: JsonNode
  try {
    root = new OffsetParser(text).document()
  } catch {
    return undefined
  }
  let node = root
  let depth = 0
  for (const segment of parseJsonPath(path)) {
    const next = typeof segment === 'number' ? node.items?.[segment] : node.members?.get(segment)
    if (!next) break
    node = next
    depth++
  }
  return { start: node.start, end: node.end, keyStart: node.keyStart, depth }
}

/** Where a text stops being JSON (our parser's own offset: Node's messages do not always say). */
export function syntaxErrorOffset(text: string): number | undefined {
  try {
    new OffsetParser(text).document()
    return undefined
  } catch (error) {
    const at = /at (\d+)$/.exec((error as Error).message)
    return at ? Number(at[1]) : undefined
  }
}

/** The offset a JSON.parse error message names: "at position 42" or "(line 3 column 5)". */
export function offsetFromParseError(text: string, message: string): number | undefined {
  const position = /at position (\d+)/.exec(message)
  if (position) return Math.min(Number(position[1]), text.length)
  const lineColumn = /line (\d+) column (\d+)/.exec(message)
  if (!lineColumn) return undefined
  const lines = text.split('\n')
  const line = Math.min(Number(lineColumn[1]), lines.length) - 1
  let offset = 0
  for (let i = 0; i < line; i++) offset += lines[i].length + 1
  return Math.min(offset + Number(lineColumn[2]) - 1, text.length)
}

class OffsetParser {
  private pos = 0

  constructor(private readonly text: string) {}

  document(): JsonNode {
    const node = this.value()
    this.space()
    if (this.pos !== this.text.length) this.fail('text after the value')
    return node
  }

  private value(): JsonNode {
    this.space()
    const start = this.pos
    const c = this.text[this.pos]
    if (c === '{') return this.object(start)
    if (c === '[') return this.array(start)
    if (c === '"') {
      this.string()
      return { start, end: this.pos }
    }
    const literal = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(this.text.slice(this.pos, this.pos + 400))
    if (!literal) this.fail('a value')
    this.pos += literal![0].length
    return { start, end: this.pos }
  }

  private object(start: number): JsonNode {
    const members = new Map<string, JsonNode>()
    this.pos++
    this.space()
    if (this.text[this.pos] === '}') {
      this.pos++
      return { start, end: this.pos, members }
    }
    for (;;) {
      this.space()
      const keyStart = this.pos
      const key = this.string()
      this.space()
      this.expect(':')
      const member = this.value()
      member.keyStart = keyStart
      // JSON.parse keeps the last of duplicate keys; so does this.
      members.set(key, member)
      this.space()
      if (this.text[this.pos] === ',') {
        this.pos++
        continue
      }
      this.expect('}')
      return { start, end: this.pos, members }
    }
  }

  private array(start: number): JsonNode {
    const items: JsonNode[] = []
    this.pos++
    this.space()
    if (this.text[this.pos] === ']') {
      this.pos++
      return { start, end: this.pos, items }
    }
    for (;;) {
      items.push(this.value())
      this.space()
      if (this.text[this.pos] === ',') {
        this.pos++
        continue
      }
      this.expect(']')
      return { start, end: this.pos, items }
    }
  }

  /** Reads a string literal at pos; returns its value. */
  private string(): string {
    const start = this.pos
    if (this.text[this.pos] !== '"') this.fail('a string')
    this.pos++
    while (this.pos < this.text.length && this.text[this.pos] !== '"') this.pos += this.text[this.pos] === '\\' ? 2 : 1
    if (this.pos >= this.text.length) this.fail('the end of a string')
    this.pos++
    return JSON.parse(this.text.slice(start, this.pos)) as string
  }

  private space(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos])) this.pos++
  }

  private expect(char: string): void {
    if (this.text[this.pos] !== char) this.fail(`'${char}'`)
    this.pos++
  }

  private fail(what: string): never {
    throw new SyntaxError(`expected ${what} at ${this.pos}`)
  }
}
