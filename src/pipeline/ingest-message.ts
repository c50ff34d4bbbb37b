/**
 * A consumed message as the ingest jobs carry it to the raw zone: its Kafka coordinates, its key
 * and value bytes, its headers as text, and what its decoder made of it (kept compact: the open
 * batch holds up to `batch.maxMessages` of these).
 */
import { TextRow, type Decoded } from '../decode'
import type { SampledMessage } from '../kafka'

export interface IngestMessage extends SampledMessage {
  decoded: Decoded
}

/**
 * A shaped row (decode/shape.ts) as a TextRow: its JSON text (or the message's bytes, when the
 * decoder matched them), the row itself parsed again only if asked for (the first row of a shape,
 * or a schema change). The open batch then holds no parsed values' objects.
 */
export function compactRow(decoded: Decoded): Decoded {
  if (decoded instanceof TextRow || decoded.kind !== 'row' || decoded.shape === undefined) return decoded
  return new TextRow(JSON.stringify(decoded.row), decoded.schema, decoded.shape)
}
