/** Deletion vectors read from storage (or decoded inline) into sorted row indexes. */
import {
  decodeDeletionVectorFile,
  decodeInlineDeletionVector,
  type DeletionVectorDescriptor,
  deletionVectorRelativePath,
  DeltaError,
  resolveLogPath,
  type Storage,
} from '../delta'

export class DeletionVectorLoader {
  /** One DV file often holds the vectors of many data files: read each once. */
  private readonly files = new Map<string, Uint8Array>()

  constructor(
    private readonly storage: Storage,
    private readonly table: string,
  ) {}

  async rows(dv: DeletionVectorDescriptor, dataFile: string): Promise<number[]> {
    if (dv.storageType === 'i') return decodeInlineDeletionVector(dv)
    const relative = deletionVectorRelativePath(dv)!
    const location = resolveLogPath(this.table, relative, this.storage.join, this.table)
    let bytes = this.files.get(location)
    if (!bytes) {
      bytes = await this.storage.read(location)
      if (!bytes) throw new DeltaError('MISSING_FILE', `deletion vector file ${location} (for ${dataFile}) is missing`, { table: this.table })
      this.files.set(location, bytes)
    }
    return decodeDeletionVectorFile(bytes, dv)
  }
}
