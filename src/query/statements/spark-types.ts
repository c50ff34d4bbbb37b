/**
 * Spark SQL's type names (as CREATE TABLE and ADD COLUMNS take them) → Delta schema types, and
 * back for SHOW CREATE TABLE / DESCRIBE. DuckDB's spellings (VARCHAR, TIMESTAMPTZ, …) are taken too.
 */
import { DeltaError, deltaTypeFromDuckdb, type DataType, type StructField } from '../../delta'

const PRIMITIVES: Record<string, DataType> = {
  STRING: 'string',
  VARCHAR: 'string',
  CHAR: 'string',
  TEXT: 'string',
  BIGINT: 'long',
  LONG: 'long',
  INT: 'integer',
  INTEGER: 'integer',
  SMALLINT: 'short',
  SHORT: 'short',
  TINYINT: 'byte',
  BYTE: 'byte',
  DOUBLE: 'double',
  FLOAT: 'float',
  REAL: 'float',
  BOOLEAN: 'boolean',
  BOOL: 'boolean',
  BINARY: 'binary',
  BLOB: 'binary',
  DATE: 'date',
  TIMESTAMP: 'timestamp',
  TIMESTAMP_LTZ: 'timestamp',
  TIMESTAMPTZ: 'timestamp',
  TIMESTAMP_NTZ: 'timestamp_ntz',
}

export function sparkType(text: string): DataType {
  const parser = new TypeParser(text)
  const type = parser.type()
  parser.end()
  return type
}

class TypeParser {
  private i = 0
  constructor(private readonly text: string) {}

  private skip(): void {
    while (/\s/.test(this.text[this.i] ?? '')) this.i++
  }

  private word(): string {
    this.skip()
    const m = /^[A-Za-z_][\w]*/.exec(this.text.slice(this.i))
    if (!m) throw this.error('a type name')
    this.i += m[0].length
    return m[0]
  }

  private expect(c: string): void {
    this.skip()
    if (this.text[this.i] !== c) throw this.error(`'${c}'`)
    this.i++
  }

  private accept(c: string): boolean {
    this.skip()
    if (this.text[this.i] !== c) return false
    this.i++
    return true
  }

  private error(what: string): DeltaError {
    return new DeltaError('INVALID_ARGUMENT', `'${this.text}' is not a type: expected ${what} at character ${this.i + 1}`)
  }

  end(): void {
    this.skip()
    if (this.i < this.text.length) throw this.error('the end of the type')
  }

  type(): DataType {
    const name = this.word().toUpperCase()
    if (name === 'DECIMAL' || name === 'DEC' || name === 'NUMERIC') {
      if (!this.accept('(')) return 'decimal(10,0)'
      const precision = this.number()
      const scale = this.accept(',') ? this.number() : 0
      this.expect(')')
      if (precision < 1 || precision > 38 || scale > precision)
        throw new DeltaError('INVALID_ARGUMENT', `DECIMAL(${precision},${scale}): precision must be 1 to 38 and scale at most the precision`)
      return `decimal(${precision},${scale})`
    }
    if ((name === 'VARCHAR' || name === 'CHAR') && this.accept('(')) {
      this.number()
      this.expect(')')
      return 'string'
    }
    if (name === 'ARRAY') {
      this.expect('<')
      const elementType = this.type()
      this.expect('>')
      return { type: 'array', elementType, containsNull: true }
    }
    if (name === 'MAP') {
      this.expect('<')
      const keyType = this.type()
      this.expect(',')
      const valueType = this.type()
      this.expect('>')
      return { type: 'map', keyType, valueType, valueContainsNull: true }
    }
    if (name === 'STRUCT') {
      this.expect('<')
      const fields: StructField[] = []
      if (!this.accept('>')) {
        do {
          this.skip()
          const fieldName = this.text[this.i] === '`' ? this.quoted() : this.word()
          this.accept(':')
          const type = this.type()
          let nullable = true
          this.skip()
          if (/^NOT\s+NULL/i.test(this.text.slice(this.i))) {
            this.i += /^NOT\s+NULL/i.exec(this.text.slice(this.i))![0].length
            nullable = false
          }
          fields.push({ name: fieldName, type, nullable, metadata: {} })
        } while (this.accept(','))
        this.expect('>')
      }
      return { type: 'struct', fields }
    }
    const primitive = PRIMITIVES[name]
    if (primitive) return primitive
    try {
      return deltaTypeFromDuckdb(name)
    } catch {
      throw new DeltaError(
        'INVALID_ARGUMENT',
        `'${this.text}' is not a type Delta tables store (STRING, INT, BIGINT, DOUBLE, DECIMAL(p,s), BOOLEAN, DATE, TIMESTAMP, TIMESTAMP_NTZ, BINARY, ARRAY<…>, MAP<…>, STRUCT<…>, …)`,
      )
    }
  }

  private number(): number {
    this.skip()
    const m = /^\d+/.exec(this.text.slice(this.i))
    if (!m) throw this.error('a number')
    this.i += m[0].length
    return Number(m[0])
  }

  private quoted(): string {
    const close = this.text.indexOf('`', this.i + 1)
    if (close === -1) throw this.error('a closing backtick')
    const name = this.text.slice(this.i + 1, close)
    this.i = close + 1
    return name
  }
}

/** A Delta type as Spark SQL writes it (SHOW CREATE TABLE, DESCRIBE). */
export function sparkTypeName(type: DataType): string {
  if (typeof type === 'string') {
    const names: Record<string, string> = { long: 'BIGINT', integer: 'INT', short: 'SMALLINT', byte: 'TINYINT' }
    return names[type] ?? type.toUpperCase()
  }
  if (type.type === 'array') return `ARRAY<${sparkTypeName(type.elementType)}>`
  if (type.type === 'map') return `MAP<${sparkTypeName(type.keyType)}, ${sparkTypeName(type.valueType)}>`
  return `STRUCT<${type.fields.map((f) => `${f.name}: ${sparkTypeName(f.type)}${f.nullable ? '' : ' NOT NULL'}`).join(', ')}>`
}
