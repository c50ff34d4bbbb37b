/** Moved to the engine layer (src/engine/catalog.ts), below pipeline/ and query/: import it from there. */
export { LakeCatalog, NAME_PART, type TableEntry } from '../engine'
