/**
 * File paths in the log are URI references: relative to the table root and percent-encoded, or
 * absolute URIs. These helpers turn them into storage paths and back.
 */
import { DeltaError } from './errors'

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/

/** Percent-decode, leaving malformed escapes as they are rather than failing the whole table. */
export function percentDecode(text: string): string {
  if (!text.includes('%')) return text
  try {
    return decodeURIComponent(text)
  } catch {
    return text.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run)
      } catch {
        return run
      }
    })
  }
}

/**
 * Encode a relative path for the log: bytes outside RFC 3986's unreserved set are escaped, except
 * '/' and the '=' of Hive partition directories, which Spark leaves as they are.
 */
export function percentEncodePath(relative: string): string {
  return relative
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment)
        .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
        .replaceAll('%3D', '='),
    )
    .join('/')
}

/**
 * The storage path of a file named in the log. Relative paths resolve under the table root;
 * `file:` URIs are local paths; other schemes need an object store this build does not have.
 */
export function resolveLogPath(root: string, logPath: string, join: (root: string, relative: string) => string, table?: string): string {
  if (SCHEME.test(logPath) && !/^[a-zA-Z]:[\\/]/.test(logPath)) {
    const url = new URL(logPath)
    if (url.protocol !== 'file:') {
      throw new DeltaError('UNSUPPORTED_READER_FEATURE', `file '${logPath}' lives on '${url.protocol}' storage; only local files are supported`, { table })
    }
    return percentDecode(url.pathname)
  }
  if (logPath.startsWith('/')) return percentDecode(logPath)
  const relative = percentDecode(logPath)
  // Relative paths are below the table root; '..' that climbs out of it is a hostile or broken log.
  let depth = 0
  for (const segment of relative.split(/[\\/]/)) {
    depth += segment === '..' ? -1 : segment === '' || segment === '.' ? 0 : 1
    if (depth < 0) throw new DeltaError('CORRUPT_LOG', `file '${logPath}' named in the log climbs out of the table folder with '..': refused`, { table })
  }
  return join(root, relative)
}
