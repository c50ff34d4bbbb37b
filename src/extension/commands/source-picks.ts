/**
 * The sources of the workspace's pipeline files as quick-pick items, for "Preview Source" run
 * without a tree item (from the palette).
 * No `vscode` here, so the list is tested on its own.
 */
import type { Pipeline } from '../../pipeline/pipeline-file'
import type { JobId } from '../pipelines/events'

export interface SourcePick<U> {
  label: string
  description: string
  detail: string
  /** The job node the Pipelines view would have passed. */
  node: { kind: 'job'; pipeline: Pipeline; uri: U; job: JobId }
}

/** One item per source, named as the Pipelines view names it, saying what it reads and writes and in which file. */
export function sourcePicks<U>(entries: { uri: U; pipeline: Pipeline }[], relativePath: (uri: U) => string): SourcePick<U>[] {
  return entries.flatMap((entry) =>
    entry.pipeline.sources.map((source) => ({
      label: source.name,
      description: `${source.file ?? source.topic ?? source.topicPattern ?? '?'} → ${source.table}`,
      detail: relativePath(entry.uri),
      node: { kind: 'job' as const, pipeline: entry.pipeline, uri: entry.uri, job: `source:${source.name}` as JobId },
    })),
  )
}
