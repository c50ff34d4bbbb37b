/** Refine transforms: flatten, explode, select, rename, cast, filter and SQL over a batch in DuckDB. */
export type {
  Transform,
  Relation,
  Column,
  FlattenTransform,
  ExplodeTransform,
  SelectTransform,
  RenameTransform,
  CastTransform,
  FilterTransform,
  SqlTransform,
} from './types'
export { TransformError } from './types'
export { applyTransforms, describeRelation, type ChildRelation, type TransformedBatch, type TransformOptions } from './apply'
export { castTarget } from './columns'
export { jsonStructure, typedJsonSelect } from './json-rows'
export { previewTransforms, type PreviewStep, type TransformPreview } from './preview'
