/**
 * Kafka and schema registry passwords in VS Code's SecretStorage (the OS keychain on the desktop),
 * never in settings or files. A password belongs to a user on a cluster (or registry), so it is
 * keyed by both; every pipeline file naming that cluster and user shares it. Pipelines get it as
 * the environment variable their file names (`passwordEnv`), set only in the child's environment.
 */
import * as vscode from 'vscode'
import type { KafkaSettings } from '../pipeline/pipeline-file'
import { ExtensionError } from './errors'
import type { Log } from './log'

type SaslSettings = NonNullable<KafkaSettings['sasl']>
type RegistrySettings = NonNullable<KafkaSettings['schemaRegistry']>

export function kafkaSecretKey(kafka: KafkaSettings, sasl: SaslSettings): string {
  return `lakehouse.kafka/${sasl.username}@${[...kafka.brokers].sort().join(',')}`
}

export function registrySecretKey(registry: RegistrySettings): string {
  return `lakehouse.schemaRegistry/${registry.username ?? ''}@${registry.url.replace(/\/+$/, '')}`
}

/** A credential a job needs that is neither stored nor in the environment. */
export interface MissingCredential {
  kind: 'kafka' | 'schemaRegistry'
  /** Where in the pipeline file it is configured, for "open the file at". */
  jsonPath: string
  message: string
}

export class Credentials implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>()
  readonly onDidChange = this.changed.event
  private readonly subscription: vscode.Disposable

  constructor(
    private readonly storage: vscode.SecretStorage,
    private readonly log: Log,
  ) {
    this.subscription = storage.onDidChange((e) => {
      if (e.key.startsWith('lakehouse.')) this.changed.fire()
    })
  }

  async kafkaPassword(kafka: KafkaSettings): Promise<string | undefined> {
    if (!kafka.sasl) return undefined
    return this.remembered(await this.storage.get(kafkaSecretKey(kafka, kafka.sasl)))
  }

  async setKafkaPassword(kafka: KafkaSettings, password: string): Promise<void> {
    if (!kafka.sasl) throw new ExtensionError('this cluster has no kafka.sasl section: it needs no password')
    this.log.addSecret(password)
    await this.storage.store(kafkaSecretKey(kafka, kafka.sasl), password)
    this.log.info('secret.stored', { kind: 'kafka', user: kafka.sasl.username, brokers: kafka.brokers })
  }

  async registryPassword(kafka: KafkaSettings | undefined): Promise<string | undefined> {
    if (!kafka?.schemaRegistry) return undefined
    return this.remembered(await this.storage.get(registrySecretKey(kafka.schemaRegistry)))
  }

  async setRegistryPassword(registry: RegistrySettings, password: string): Promise<void> {
    this.log.addSecret(password)
    await this.storage.store(registrySecretKey(registry), password)
    this.log.info('secret.stored', { kind: 'schemaRegistry', user: registry.username, url: registry.url })
  }

  /**
   * The environment a pipeline child needs for its credentials: stored secrets under the names
   * the file gives; what is neither stored nor already in our environment is reported missing.
   */
  async childEnvironment(kafka: KafkaSettings | undefined, needsKafka: boolean): Promise<{ env: Record<string, string>; missing: MissingCredential[] }> {
    const env: Record<string, string> = {}
    const missing: MissingCredential[] = []
    if (!kafka || !needsKafka) return { env, missing }
    if (kafka.sasl) {
      const password = await this.kafkaPassword(kafka)
      const name = kafka.sasl.passwordEnv
      if (!name) {
        missing.push({
          kind: 'kafka',
          jsonPath: '$.kafka.sasl',
          message: `kafka.sasl has no "passwordEnv": name the environment variable the pipeline reads its password from (e.g. "KAFKA_PASSWORD"); the extension fills it from the secret store`,
        })
      } else if (password !== undefined) env[name] = password
      else if (!process.env[name])
        missing.push({
          kind: 'kafka',
          jsonPath: '$.kafka.sasl',
          message: `no password for Kafka user '${kafka.sasl.username}': run "Lakehouse: Set Kafka Password"`,
        })
    }
    const registry = kafka.schemaRegistry
    if (registry?.passwordEnv) {
      const password = await this.registryPassword(kafka)
      if (password !== undefined) env[registry.passwordEnv] = password
      else if (!process.env[registry.passwordEnv]) {
        missing.push({
          kind: 'schemaRegistry',
          jsonPath: '$.kafka.schemaRegistry',
          message: `no password for the schema registry ${registry.url}: run "Lakehouse: Set Schema Registry Credentials"`,
        })
      }
    }
    return { env, missing }
  }

  dispose(): void {
    this.subscription.dispose()
    this.changed.dispose()
  }

  private remembered(value: string | undefined): string | undefined {
    this.log.addSecret(value)
    return value
  }
}
