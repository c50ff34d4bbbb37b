/**
 * The engine layers, loaded on first use. Activation must stay cheap: nothing here runs until a
 * tree is expanded or a command is run, and the bundler keeps each dynamically imported module
 * unevaluated until then (DuckDB's native addon and kafkajs are the expensive ones). Each loader
 * logs how long its first load took, which is how we know what a first click costs.
 */
import type { Log } from './log'

function once<T>(name: string, load: () => Promise<T>): (log?: Log) => Promise<T> {
  let loaded: Promise<T> | undefined
  return (log) => {
    if (!loaded) {
      const started = performance.now()
      loaded = load().then((module) => {
        log?.debug('module.loaded', { module: name, ms: Math.round(performance.now() - started) })
        return module
      })
      // A failed load may succeed later (a file being rebuilt): do not keep the failure.
      loaded.catch(() => (loaded = undefined))
    }
    return loaded
  }
}

export const loadEngine = once('engine', () => import('../engine'))
export const loadDelta = once('delta', () => import('../delta'))
export const loadQuery = once('query', () => import('../query'))
export const loadPipelineFile = once('pipeline-file', () => import('../pipeline/pipeline-file'))
export const loadLakeFacts = once('lake-facts', () => import('./lake/facts'))
export const loadRefine = once('refine', () => import('../pipeline/refine'))
export const loadKafkaBrowse = once('kafka', () => import('./kafka/browse'))
