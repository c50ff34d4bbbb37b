/**
 * "Set Kafka Password" and "Set Schema Registry Credentials": a password input (masked, never
 * echoed, never logged) stored in SecretStorage for the cluster and user the pipeline file names.
 */
import * as vscode from 'vscode'
import type { KafkaSettings } from '../../pipeline/pipeline-file'
import type { Services } from '../services'
import { clustersOf, type KafkaNode } from '../views/kafka-tree'

/** The Kafka settings a command was invoked for: a cluster node, a pipeline file, or a pick. */
async function kafkaSettingsFor(services: Services, arg: unknown, want: (k: KafkaSettings) => boolean, what: string): Promise<KafkaSettings | undefined> {
  const node = arg as KafkaNode | undefined
  if (node && typeof node === 'object' && 'kind' in node && node.kind === 'cluster') return node.cluster.kafka
  let candidates = (await clustersOf(services)).filter((c) => want(c.kafka))
  if (arg instanceof vscode.Uri) candidates = candidates.filter((c) => c.pipelineUri.toString() === arg.toString()).concat(candidates)
  if (candidates.length === 0) {
    void vscode.window.showWarningMessage(`No pipeline file in the workspace has ${what}.`)
    return undefined
  }
  if (candidates.length === 1 || arg instanceof vscode.Uri) return candidates[0].kafka
  const picked = await vscode.window.showQuickPick(
    candidates.map((c) => ({
      label: c.kafka.brokers.join(', '),
      description: c.kafka.sasl ? `user ${c.kafka.sasl.username}` : c.kafka.schemaRegistry?.url,
      c,
    })),
    { placeHolder: 'For which cluster?' },
  )
  return picked?.c.kafka
}

export async function setKafkaPassword(services: Services, arg?: unknown): Promise<void> {
  const kafka = await kafkaSettingsFor(services, arg, (k) => !!k.sasl, 'a kafka.sasl section (a cluster that needs a password)')
  if (!kafka?.sasl) return
  const password = await vscode.window.showInputBox({
    title: 'Lakehouse: Set Kafka Password',
    prompt: `Password of SASL user '${kafka.sasl.username}' on ${kafka.brokers.join(', ')}. Stored in the editor's secret store, never in a file.`,
    password: true,
    ignoreFocusOut: true,
  })
  if (!password) return
  await services.credentials.setKafkaPassword(kafka, password)
  if (!kafka.sasl.passwordEnv) {
    void vscode.window.showWarningMessage(
      'Password stored. To run pipelines with it, add "passwordEnv" (e.g. "KAFKA_PASSWORD") to kafka.sasl: the pipeline process reads its password from that variable, which the extension sets.',
    )
  } else void vscode.window.showInformationMessage(`Kafka password for '${kafka.sasl.username}' stored in the secret store.`)
}

export async function setSchemaRegistryCredentials(services: Services, arg?: unknown): Promise<void> {
  const kafka = await kafkaSettingsFor(services, arg, (k) => !!k.schemaRegistry, 'a kafka.schemaRegistry section')
  const registry = kafka?.schemaRegistry
  if (!registry) return
  if (!registry.username) {
    void vscode.window.showWarningMessage(
      `Add "username" to kafka.schemaRegistry first: the registry's basic authentication needs it (it is not a secret, the password is).`,
    )
    return
  }
  const password = await vscode.window.showInputBox({
    title: 'Lakehouse: Set Schema Registry Credentials',
    prompt: `Password (or API secret) of '${registry.username}' at ${registry.url}. Stored in the editor's secret store, never in a file.`,
    password: true,
    ignoreFocusOut: true,
  })
  if (!password) return
  await services.credentials.setRegistryPassword(registry, password)
  if (!registry.passwordEnv) {
    void vscode.window.showWarningMessage(
      'Credentials stored. To run pipelines with them, add "passwordEnv" (e.g. "REGISTRY_PASSWORD") to kafka.schemaRegistry.',
    )
  } else void vscode.window.showInformationMessage(`Schema registry password for '${registry.username}' stored in the secret store.`)
}
