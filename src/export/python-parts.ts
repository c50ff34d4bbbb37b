/**
 * The Python the export writes, kept in real files (src/export/python/) so that Python's own tools
 * check them (test/export/python-lint.test.ts runs py_compile and pyflakes over them and over the
 * generated jobs). They are imported as text: esbuild's text loader puts them in the bundles, and
 * scripts/python-text-hook.mjs does the same when the sources run under tsx.
 *
 * lakehouse_spark.py is shipped as it is. The other files are parts of the generated jobs: each opens
 * with stand-ins for the names the job defines above it, so that the file checks on its own, then a
 * marker line; a job takes only what follows the marker.
 */
import dltReaders from './python/dlt_readers.py'
import flowMain from './python/flow_main.py'
import lakehouseSpark from './python/lakehouse_spark.py'
import sourceAvroSchema from './python/source_avro_schema.py'
import sourceFileReader from './python/source_file_reader.py'
import sourceKafkaReader from './python/source_kafka_reader.py'
import sourceMain from './python/source_main.py'
import { ExportError } from './errors'

const MARKER = /^# ---- job part ----\r?\n/m

/** What follows the marker line of a job part, ending in one newline. */
export function jobPart(file: string, text: string): string {
  const found = MARKER.exec(text)
  if (!found) throw new ExportError(`src/export/python/${file} has no '# ---- job part ----' line: it is not a job part`)
  return `${text
    .slice(found.index + found[0].length)
    .replace(/\r\n/g, '\n')
    .trimEnd()}\n`
}

/** The helper module every exported job imports: Local Lakehouse's semantics written once in PySpark. */
export const HELPERS_FILE = 'lakehouse_spark.py'
/** Its text, shipped as it is: nothing from the pipeline file goes into it. */
export const HELPERS_MODULE = lakehouseSpark

/** The parts of the generated jobs, by the file each comes from. */
export const JOB_PARTS = {
  sourceKafkaReader: jobPart('source_kafka_reader.py', sourceKafkaReader),
  sourceAvroSchema: jobPart('source_avro_schema.py', sourceAvroSchema),
  sourceFileReader: jobPart('source_file_reader.py', sourceFileReader),
  sourceMain: jobPart('source_main.py', sourceMain),
  flowMain: jobPart('flow_main.py', flowMain),
  dltReaders: jobPart('dlt_readers.py', dltReaders),
}
