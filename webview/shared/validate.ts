/**
 * Runtime checks for messages crossing the webview boundary. Each validator is a plain function
 * that returns undefined when the value fits and otherwise says what is wrong and where
 * (`page.offset: expected a whole number >= 0`). The TypeScript type of a message is derived from
 * its validator, so the check and the type cannot drift apart. No dependencies: this file is
 * bundled into the panels and imported by the extension host alike.
 */

export interface Validator<T> {
  (value: unknown, path: string): string | undefined
  /** Carries the checked type for `Infer`; never set at run time. */
  readonly __type?: T
}

/** Marks a property that may be absent (or undefined). */
export interface Optional<T> extends Validator<T | undefined> {
  readonly optional: true
}

export type Infer<V> = V extends Validator<infer T> ? T : never

type Shape = Record<string, Validator<unknown>>
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? never : K }[keyof S]
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S]
type Simplify<T> = { [K in keyof T]: T[K] } & {}
export type InferShape<S extends Shape> = Simplify<{ [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }>

/** JSON as it crosses postMessage: what DuckDB rows, commit metrics and decoded payloads hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value)

/** Text, at most `maxLength` characters (the default keeps one message from holding a novel). */
export function text(maxLength = 10_000_000): Validator<string> {
  return (value, path) => {
    if (typeof value !== 'string') return `${path}: expected text, got ${describe(value)}`
    if (value.length > maxLength) return `${path}: text longer than ${maxLength} characters`
    return undefined
  }
}

export const string = text()

/** A safe integer within [min, max]. */
export function integer(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Validator<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value))
      return `${path}: expected a whole number, got ${typeof value === 'number' ? value : describe(value)}`
    if (value < min || value > max) return `${path}: ${value} is outside ${min}..${max}`
    return undefined
  }
}

export const count = integer(0)

export const finite: Validator<number> = (value, path) =>
  typeof value === 'number' && Number.isFinite(value) ? undefined : `${path}: expected a finite number, got ${describe(value)}`

export const boolean: Validator<boolean> = (value, path) => (typeof value === 'boolean' ? undefined : `${path}: expected true or false, got ${describe(value)}`)

export function literal<const T extends string | number | boolean | null>(...allowed: T[]): Validator<T> {
  return (value, path) =>
    allowed.includes(value as T)
      ? undefined
      : `${path}: expected ${allowed.map((a) => JSON.stringify(a)).join(' or ')}, got ${JSON.stringify(value) ?? describe(value)}`
}

export function optional<T>(inner: Validator<T>): Optional<T> {
  const check = ((value: unknown, path: string) => (value === undefined ? undefined : inner(value, path))) as Validator<T | undefined>
  return Object.assign(check, { optional: true as const })
}

export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (value, path) => (value === null ? undefined : inner(value, path))
}

export function array<T>(item: Validator<T>, maxLength = 10_000_000): Validator<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) return `${path}: expected an array, got ${describe(value)}`
    if (value.length > maxLength) return `${path}: more than ${maxLength} items`
    for (let i = 0; i < value.length; i++) {
      const problem = item(value[i], `${path}[${i}]`)
      if (problem) return problem
    }
    return undefined
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && [Object.prototype, null].includes(Object.getPrototypeOf(value))

/** An object of any keys, each value checked by `item`. */
export function record<T>(item: Validator<T>): Validator<Record<string, T>> {
  return (value, path) => {
    if (!isPlainObject(value)) return `${path}: expected an object, got ${describe(value)}`
    for (const [key, entry] of Object.entries(value)) {
      const problem = item(entry, `${path}.${key}`)
      if (problem) return problem
    }
    return undefined
  }
}

/** An object with exactly these properties: an unknown property is a malformed message too. */
export function object<S extends Shape>(shape: S): Validator<InferShape<S>> {
  return (value, path) => {
    if (!isPlainObject(value)) return `${path}: expected an object, got ${describe(value)}`
    for (const key of Object.keys(value)) if (!Object.hasOwn(shape, key)) return `${path}: unexpected property '${key}'`
    for (const [key, check] of Object.entries(shape)) {
      const problem = check(value[key], `${path}.${key}`)
      if (problem) return problem
    }
    return undefined
  }
}

/** A tagged union on `type`: the tag picks the one validator to apply. */
export function union<const M extends Record<string, Validator<unknown>>>(byType: M): Validator<{ [K in keyof M]: Infer<M[K]> }[keyof M]> {
  return (value, path) => {
    if (!isPlainObject(value)) return `${path}: expected a message object, got ${describe(value)}`
    const type = value.type
    if (typeof type !== 'string' || !Object.hasOwn(byType, type)) return `${path}: unknown message type ${JSON.stringify(type) ?? describe(type)}`
    return byType[type](value, path)
  }
}

/** For recursive shapes (a schema tree): the validator is looked up when first used. */
export function lazy<T>(get: () => Validator<T>): Validator<T> {
  return (value, path) => get()(value, path)
}

/** Any JSON value, nested at most `maxDepth` deep (postMessage's structured clone allows far more). */
export function json(maxDepth = 64): Validator<JsonValue> {
  const check = (value: unknown, path: string, depth: number): string | undefined => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined
    if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path}: ${value} is not a JSON number`
    if (depth >= maxDepth) return `${path}: nested deeper than ${maxDepth}`
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const problem = check(value[i], `${path}[${i}]`, depth + 1)
        if (problem) return problem
      }
      return undefined
    }
    if (isPlainObject(value)) {
      for (const [key, entry] of Object.entries(value)) {
        const problem = check(entry, `${path}.${key}`, depth + 1)
        if (problem) return problem
      }
      return undefined
    }
    return `${path}: ${describe(value)} is not a JSON value`
  }
  return (value, path) => check(value, path, 0)
}

export const jsonValue = json()

/** The value as T, or the reason it is not one. */
export function check<T>(validator: Validator<T>, value: unknown, path = 'message'): { ok: true; value: T } | { ok: false; error: string } {
  const problem = validator(value, path)
  return problem === undefined ? { ok: true, value: value as T } : { ok: false, error: problem }
}
