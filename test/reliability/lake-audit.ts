/**
 * A lake after crashes or concurrent writers, checked the hard way: every commit file parses line
 * by line and the versions are contiguous; every version loads and its files scan; each version's
 * live files equal an independent replay of the commit JSON (adds minus removes); every checkpoint
 * file is a complete Parquet file holding exactly that replay's files; `_last_checkpoint` names a
 * complete checkpoint. Leftover temporary files (a kill between writing a temporary file and its
 * link or rename) are counted: they are the trace of kills inside a commit or checkpoint write.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import * as path from 'node:path'
import { loadSnapshot, planScan } from '../../src/delta'
import { dropScan, registerScan, type LakeEngine } from '../../src/engine'
import type { LakeCatalog } from '../../src/query'

const COMMIT = /^(\d{20})\.json$/
const CHECKPOINT = /^(\d{20})\.checkpoint\.parquet$/

export interface TableAudit {
  table: string
  versions: number
  /** Checkpoints checked. */
  checkpoints: number
  /** Rows in the latest version. */
  rows: number
  /** Temporary files left in _delta_log by kills, by what they were to become. */
  leftovers: { commit: number; checkpoint: number; lastCheckpoint: number }
}

type Json = Record<string, any>

/** The commit JSON of every version, parsed line by line; throws naming the file and line that does not parse. */
export function readCommitActions(logDir: string): Map<number, Json[]> {
  const commits = new Map<number, Json[]>()
  for (const name of readdirSync(logDir)) {
    const match = COMMIT.exec(name)
    if (!match) continue
    const text = readFileSync(path.join(logDir, name), 'utf8')
    const lines = text.split('\n').filter((line) => line.trim() !== '')
    assert.ok(lines.length > 0, `${name} is empty`)
    commits.set(
      Number(match[1]),
      lines.map((line, i) => {
        let action: Json
        try {
          action = JSON.parse(line)
        } catch (error) {
          throw new Error(`${path.join(logDir, name)} line ${i + 1} is not JSON (a partial commit?): ${(error as Error).message}`)
        }
        assert.equal(Object.keys(action).length, 1, `${name} line ${i + 1}: one action per line`)
        return action
      }),
    )
  }
  return commits
}

const fileKey = (file: Json) => `${file.path}#${file.deletionVector?.pathOrInlineDv ?? ''}`

/** Per version, the live files by independent replay of the commits (adds minus removes). */
function replayLiveFiles(commits: Map<number, Json[]>, latest: number): Set<string>[] {
  const live = new Map<string, string>() // path → key: a re-added path (with a DV) replaces the old entry
  const perVersion: Set<string>[] = []
  for (let v = 0; v <= latest; v++) {
    for (const action of commits.get(v)!) {
      if (action.remove) live.delete(action.remove.path)
      if (action.add) live.set(action.add.path, fileKey(action.add))
    }
    perVersion.push(new Set(live.values()))
  }
  return perVersion
}

export interface AuditOptions {
  /**
   * The versions to load, compare with the replay and scan, and whose checkpoints to check (the
   * latest and the one `_last_checkpoint` names always are); default all. Every commit file is parsed whatever this says.
   */
  versions?: (version: number, latest: number) => boolean
}

export async function auditTable(lake: LakeEngine, catalog: LakeCatalog, name: string, options: AuditOptions = {}): Promise<TableAudit> {
  const table = catalog.pathOf(name)
  const logDir = path.join(table, '_delta_log')
  const commits = readCommitActions(logDir)
  const versions = [...commits.keys()].sort((a, b) => a - b)
  const latest = versions.at(-1)!
  assert.deepEqual(
    versions,
    Array.from({ length: latest + 1 }, (_, i) => i),
    `${name}: the versions are contiguous from 0`,
  )
  for (const [version, actions] of commits) {
    assert.equal(actions.filter((a) => a.commitInfo).length, 1, `${name} version ${version}: one commitInfo`)
  }
  const replayed = replayLiveFiles(commits, latest)

  const db = await lake.duckdb()
  let rows = 0
  const selected = (version: number) => version === latest || (options.versions?.(version, latest) ?? true)
  for (const version of versions.filter(selected)) {
    const snapshot = await loadSnapshot(lake.io, table, { version })
    assert.equal(snapshot.version, version)
    assert.deepEqual(
      new Set(snapshot.files.map((f) => fileKey(f.add))),
      replayed[version],
      `${name} version ${version}: the snapshot's files equal the replay of the commits`,
    )
    const scan = await registerScan(db, lake.io.storage, planScan(snapshot))
    try {
      const [{ n }] = await db.rows(`SELECT count(*)::BIGINT AS n FROM ${scan.sql}`)
      // numRecords counts a file's rows physically; its deletion vector's cardinality are the deleted ones.
      const expected = snapshot.files.reduce(
        (sum, f) => sum + Number(JSON.parse(f.add.stats ?? '{}').numRecords ?? NaN) - (f.add.deletionVector?.cardinality ?? 0),
        0,
      )
      if (!Number.isNaN(expected)) assert.equal(Number(n), expected, `${name} version ${version}: rows scanned = numRecords less DV cardinality of its files`)
      if (version === latest) rows = Number(n)
    } finally {
      await dropScan(db, scan)
    }
  }

  const names = readdirSync(logDir)
  const hintText = names.includes('_last_checkpoint') ? readFileSync(path.join(logDir, '_last_checkpoint'), 'utf8') : undefined
  const hint = hintText === undefined ? undefined : (JSON.parse(hintText) as { version: number; size: number })
  let checkpoints = 0
  for (const file of names) {
    const match = CHECKPOINT.exec(file)
    if (!match) continue
    const version = Number(match[1])
    if (!selected(version) && version !== hint?.version) continue
    const records = await lake.io.parquet.readRecords(path.join(logDir, file))
    assert.ok(records.some((r) => r.protocol) && records.some((r) => r.metaData), `${file}: a protocol and a metaData row`)
    const adds = new Set(records.filter((r) => r.add).map((r) => fileKey(r.add as Json)))
    assert.deepEqual(adds, replayed[version], `${name} ${file}: its files equal the replay of commits 0..${version}`)
    checkpoints++
  }
  if (hint) {
    const file = `${String(hint.version).padStart(20, '0')}.checkpoint.parquet`
    assert.ok(names.includes(file), `${name}: _last_checkpoint names ${file}, which exists`)
    const records = await lake.io.parquet.readRecords(path.join(logDir, file))
    assert.equal(records.length, hint.size, `${name}: the checkpoint _last_checkpoint names is complete (${hint.size} actions)`)
  }

  const temporary = names.filter((n) => n.startsWith('.') && n.endsWith('.tmp'))
  return {
    table: name,
    versions: latest + 1,
    checkpoints,
    rows,
    leftovers: {
      commit: temporary.filter((n) => /^\.\d{20}\.json\./.test(n)).length,
      checkpoint: temporary.filter((n) => /^\.\d{20}\.checkpoint\.parquet\./.test(n)).length,
      lastCheckpoint: temporary.filter((n) => n.startsWith('._last_checkpoint.')).length,
    },
  }
}

/** Every table of the lake (zone.table), audited. */
export async function auditLake(lake: LakeEngine, catalog: LakeCatalog, options: AuditOptions = {}): Promise<TableAudit[]> {
  const audits: TableAudit[] = []
  for (const entry of await catalog.tables()) audits.push(await auditTable(lake, catalog, entry.name, options))
  return audits
}

export const describeAudits = (audits: TableAudit[]) =>
  audits
    .map(
      (a) =>
        `${a.table}: ${a.versions} versions, ${a.checkpoints} checkpoints, ${a.rows} rows` +
        (a.leftovers.commit + a.leftovers.checkpoint + a.leftovers.lastCheckpoint
          ? ` (left by kills: ${a.leftovers.commit} commit, ${a.leftovers.checkpoint} checkpoint, ${a.leftovers.lastCheckpoint} _last_checkpoint temp files)`
          : ''),
    )
    .join('; ')
