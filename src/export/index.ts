/** Exporting a pipeline as PySpark Structured Streaming jobs and a declarative-pipeline file. */
export { exportSpark, writeSparkExport, type SparkExport } from './export-spark'
export { readLakeState, startingOffsetsJson, type LakeState, type SourceState, type FlowState } from './lake-state'
export { pyString, pyLiteral } from './python-text'
export { sparkStruct, sparkType } from './spark-schema'
export type { ExportedFile } from './kafka-source'
export { sdpProject, SDP_SPEC_FILE } from './sdp-project'
