/**
 * Starting and stopping pipeline jobs (one, one file's, all), opening a pipeline file at a JSON
 * path, and "New Pipeline", which scaffolds a pipeline file from a topic (or a captured file) and
 * a format.
 */
import * as path from 'node:path'
import * as vscode from 'vscode'
import type { Pipeline } from '../../pipeline/pipeline-file'
import { loadKafkaBrowse } from '../lazy'
import { openAtJsonPath } from '../notify'
import { splitJobId } from '../pipelines/events'
import { commentPlaces, newPipelineText, sourceNameFor } from '../scaffold'
import type { Services } from '../services'
import type { PipelineNode } from '../views/pipelines-tree'
import { pickFormat } from './kafka-commands'
import { pickJob, pickPipeline } from './pickers'
import { openQuery, rowLimit } from './query-commands'

type JobNode = Extract<PipelineNode, { kind: 'job' }>
type FileNode = Extract<PipelineNode, { kind: 'pipeline' }>

async function started(services: Services, pipeline: Pipeline, uri: vscode.Uri, jobs?: JobNode['job'][]): Promise<void> {
  try {
    await services.pipelines.start(pipeline, jobs)
  } catch (error) {
    void services.notifier.error('Starting the pipeline', error, { pipelineUri: uri })
  }
}

export async function startJob(services: Services, node?: JobNode): Promise<void> {
  const target = node
    ? { pipeline: node.pipeline, uri: node.uri, job: node.job }
    : await pickJob(services, false).then((p) => p && { pipeline: p.entry.pipeline, uri: p.entry.uri, job: p.job })
  if (target) await started(services, target.pipeline, target.uri, [target.job])
}

export async function stopJob(services: Services, node?: JobNode): Promise<void> {
  const target = node
    ? { file: node.pipeline.file, job: node.job }
    : await pickJob(services, true).then((p) => p && { file: p.entry.pipeline.file, job: p.job })
  if (target) await services.pipelines.stop(target.file, [target.job])
}

export async function startPipeline(services: Services, node?: FileNode): Promise<void> {
  const entry = node?.entry.pipeline ? node.entry : await pickPipeline(services, 'Start which pipeline?')
  // With its definitions' flows: a run names the jobs it runs, and these are jobs too.
  if (entry?.pipeline) await started(services, entry.pipeline, entry.uri, services.pipelines.jobs(entry.pipeline))
}

export async function stopPipeline(services: Services, node?: FileNode): Promise<void> {
  const entry = node?.entry ?? (await pickPipeline(services, 'Stop which pipeline?'))
  if (entry) await services.pipelines.stop(entry.uri.fsPath)
}

export async function startAll(services: Services): Promise<void> {
  const entries = await services.workspace.validPipelines()
  if (entries.length === 0) void vscode.window.showWarningMessage('No valid pipeline file in the workspace.')
  await Promise.all(entries.map((e) => started(services, e.pipeline, e.uri, services.pipelines.jobs(e.pipeline))))
}

export async function stopAll(services: Services): Promise<void> {
  await services.pipelines.stopAll()
}

export async function openPipelineFile(services: Services, uri?: vscode.Uri, jsonPath = '$'): Promise<void> {
  const target = uri ?? (await pickPipeline(services, 'Open which pipeline file?'))?.uri
  if (target) await openAtJsonPath(target, jsonPath)
}

/** Topics of a cluster for the scaffold, or undefined when it cannot be reached (the user types one). */
async function topicsOn(services: Services, brokers: string[]): Promise<string[] | undefined> {
  const { listTopics } = await loadKafkaBrowse(services.log)
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Lakehouse: listing topics on ${brokers.join(', ')}` },
    async () => {
      try {
        return (await listTopics({ brokers }, [], { timeoutMs: 10_000 })).map((t) => t.name)
      } catch (error) {
        services.log.warn('newPipeline.topics', { brokers, error: (error as Error).message })
        return undefined
      }
    },
  )
}

// A wizard of several steps keeps its step when focus moves away (to copy a broker address from
// another window, or when a notification takes focus), as the VS Code samples' multi-step input does.
const WIZARD_STEP = { title: 'Lakehouse: New Pipeline', ignoreFocusOut: true }

export async function newPipeline(services: Services): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]
  if (!folder) {
    void vscode.window.showWarningMessage('Open a folder first: the pipeline file and its lake live in the workspace.')
    return
  }
  const what = await vscode.window.showQuickPick(
    [
      { label: 'Kafka topic', description: 'ingest a topic from a broker', reads: 'topic' as const },
      { label: 'Captured file', description: 'replay kcat -J output or NDJSON (no broker needed)', reads: 'file' as const },
    ],
    { ...WIZARD_STEP, placeHolder: 'What does the pipeline read?' },
  )
  if (!what) return
  let topic: string | undefined
  let file: string | undefined
  let brokers: string[] | undefined
  if (what.reads === 'topic') {
    const existing = (await services.workspace.validPipelines()).find((e) => e.pipeline.kafka)?.pipeline.kafka?.brokers
    const brokerText = await vscode.window.showInputBox({
      ...WIZARD_STEP,
      prompt: 'Bootstrap brokers (host:port, comma-separated)',
      value: (existing ?? ['localhost:9092']).join(','),
    })
    if (!brokerText) return
    brokers = brokerText
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean)
    const topics = await topicsOn(services, brokers)
    const typeOne = '$(edit) Enter a topic name…'
    const picked = topics?.length ? await vscode.window.showQuickPick([...topics, typeOne], { ...WIZARD_STEP, placeHolder: 'Which topic?' }) : typeOne
    if (!picked) return
    topic =
      picked === typeOne
        ? await vscode.window.showInputBox({ ...WIZARD_STEP, prompt: topics ? 'Topic name' : `Topic name (${brokers.join(', ')} did not answer)` })
        : picked
    if (!topic) return
  } else {
    const [chosen] =
      (await vscode.window.showOpenDialog({
        defaultUri: folder.uri,
        canSelectMany: false,
        openLabel: 'Use this capture',
        filters: { 'Captured messages': ['jsonl', 'ndjson', 'json', 'txt'] },
      })) ?? []
    if (!chosen) return
    file = path.relative(folder.uri.fsPath, chosen.fsPath).split(path.sep).join('/')
  }
  const format = await pickFormat('Format of the messages', WIZARD_STEP)
  if (!format) return
  // Named for the source it scaffolds: shop.clicks → shop_clicks.lakehouse.json.
  const target = await newPipelineUri(folder.uri, sourceNameFor(topic ?? path.basename(file!).replace(/\.[^.]*$/, '')))
  if (!target) return
  const schema = (await import('../../../schemas/pipeline.schema.json')).default
  const text = newPipelineText({ topic, file, format, brokers, comments: commentPlaces(schema) })
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text))
  await vscode.window.showTextDocument(target, { preview: false })
  services.log.info('pipeline.created', { file: vscode.workspace.asRelativePath(target), format, topic, capture: file })
}

/** lakehouse.json, else <base>.lakehouse.json, else ask. */
async function newPipelineUri(folder: vscode.Uri, base: string): Promise<vscode.Uri | undefined> {
  const exists = async (uri: vscode.Uri) =>
    vscode.workspace.fs.stat(uri).then(
      () => true,
      () => false,
    )
  for (const candidate of ['lakehouse.json', `${base}.lakehouse.json`]) {
    const uri = vscode.Uri.joinPath(folder, candidate)
    if (!(await exists(uri))) return uri
  }
  const typed = await vscode.window.showInputBox({
    ...WIZARD_STEP,
    prompt: 'File name for the new pipeline (must end in .lakehouse.json)',
    value: `${base}-2.lakehouse.json`,
    validateInput: (v) => (/^[\w.-]+\.lakehouse\.json$/.test(v) ? undefined : 'a name ending in .lakehouse.json'),
  })
  if (!typed) return undefined
  const uri = vscode.Uri.joinPath(folder, typed)
  if (await exists(uri)) {
    void vscode.window.showErrorMessage(`${typed} already exists.`)
    return undefined
  }
  return uri
}

/** Opens the pipeline file at the job's own entry (`$.sources[i]` or `$.flows[i]`). */
export async function goToJobDefinition(_services: Services, node?: JobNode): Promise<void> {
  const job = node ?? fromViewOnly()
  if (!job) return
  const { kind, name } = splitJobId(job.job)
  const index = kind === 'source' ? job.pipeline.sources.findIndex((s) => s.name === name) : (job.pipeline.flows ?? []).findIndex((f) => f.name === name)
  await openAtJsonPath(job.uri, index < 0 ? '$' : `$.${kind === 'source' ? 'sources' : 'flows'}[${index}]`)
}

/** Opens the table the job writes (a source's raw table, a flow's target) in the query panel. */
export async function openJobTable(services: Services, node?: JobNode): Promise<void> {
  const job = node ?? fromViewOnly()
  if (!job) return
  const { kind, name } = splitJobId(job.job)
  const table = kind === 'source' ? job.pipeline.sources.find((s) => s.name === name)?.table : job.pipeline.flows?.find((f) => f.name === name)?.to
  if (!table) return
  const part = (p: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? p : `"${p}"`)
  await openQuery(services, { sql: `SELECT * FROM ${table.split('.').map(part).join('.')} LIMIT ${rowLimit()}`, lake: job.pipeline.lakeDir, run: true })
}

function fromViewOnly(): undefined {
  void vscode.window.showInformationMessage('Choose a source or flow in the Pipelines view.')
  return undefined
}
