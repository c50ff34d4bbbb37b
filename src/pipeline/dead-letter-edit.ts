/**
 * The two ways a user fixes letters, from text: an edited value, and a JSON Patch. An edited value, as the bytes its source's decoder takes: text as it is for JSON and
 * Debezium sources; JSON encoded with the topic's latest registry schema (and framed as
 * Confluent's serializers do) for Avro, Protobuf and JSON Schema sources. Shared by
 * `dead-letters replay --value` and the Dead Letters panel.
 */
import type { Operation } from 'fast-json-patch'
import { createRegistryEncoder, usesSchemaRegistry, type DecoderOptions } from '../decode'
import type { Pipeline } from './pipeline-file'

export class EditedValueError extends Error {}

export async function editedLetterValue(
  pipeline: Pipeline,
  letter: { source: string; topic: string },
  text: string,
  decoder: DecoderOptions,
): Promise<Uint8Array> {
  const source = pipeline.sources.find((s) => s.name === letter.source)
  if (!source || !usesSchemaRegistry(source.format)) return Buffer.from(text, 'utf8')
  if (!decoder.schemaRegistry) throw new EditedValueError(`source '${source.name}' is ${source.format}, which needs kafka.schemaRegistry`)
  try {
    const encoder = await createRegistryEncoder(source.format, letter.topic, decoder.schemaRegistry)
    return encoder.encode(JSON.parse(text))
  } catch (error) {
    throw new EditedValueError((error as Error).message)
  }
}

export class LetterPatchError extends Error {}

/** A JSON Patch (RFC 6902) from its text: an array of operations, each with "op" and "path". */
export function parseLetterPatch(json: string): Operation[] {
  let patch: unknown
  try {
    patch = JSON.parse(json)
  } catch (error) {
    throw new LetterPatchError(`must be a JSON Patch (RFC 6902), e.g. '[{"op":"replace","path":"/price","value":0}]': ${(error as Error).message}`)
  }
  if (!Array.isArray(patch) || !patch.every((o) => o && typeof o === 'object' && typeof o.op === 'string' && typeof o.path === 'string')) {
    throw new LetterPatchError('must be a JSON array of operations, each with "op" and "path" (RFC 6902)')
  }
  return patch as Operation[]
}
