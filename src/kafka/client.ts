/**
 * A kafkajs client built from the pipeline file's `kafka` section. Credentials never come from the
 * file: the SASL password is read from the environment variable named by `sasl.passwordEnv`, or
 * handed in by the caller (the VS Code extension reads it from SecretStorage). The password is
 * never logged nor put into an error message.
 */
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs'
import type { KafkaSettings } from './settings'
import { ensureCompressionCodecs } from './codecs'
import { KafkaError } from './errors'

/** A kafkajs client: the layers above hold one without importing kafkajs. */
export type KafkaClient = Kafka

export class KafkaCredentialsError extends KafkaError {
  constructor(message: string) {
    super(message)
    this.name = 'KafkaCredentialsError'
  }
}

export interface KafkaClientOptions {
  /** The SASL password, when the caller has it (e.g. from VS Code SecretStorage); wins over passwordEnv. */
  password?: string
  /** Where passwordEnv is looked up; default process.env. */
  env?: Record<string, string | undefined>
  /** kafkajs log level; default ERROR. */
  logLevel?: logLevel
  /** Any other kafkajs settings (timeouts, retry, a logCreator); brokers/ssl/sasl come from the settings. */
  config?: Partial<Omit<KafkaConfig, 'brokers' | 'sasl' | 'ssl'>>
}

/** The SASL password for `settings`, or undefined when there is no SASL; throws when it cannot be found. */
export function saslPassword(settings: KafkaSettings, options: Pick<KafkaClientOptions, 'password' | 'env'> = {}): string | undefined {
  const sasl = settings.sasl
  if (!sasl) return undefined
  if (options.password !== undefined) return options.password
  if (!sasl.passwordEnv) {
    throw new KafkaCredentialsError(
      `kafka.sasl (${sasl.mechanism}, user '${sasl.username}') has no password: set "passwordEnv" to the name of an environment variable that holds it, or set it with "Lakehouse: Set Kafka Password" in VS Code`,
    )
  }
  const value = (options.env ?? process.env)[sasl.passwordEnv]
  if (value === undefined || value === '') {
    throw new KafkaCredentialsError(`the environment variable ${sasl.passwordEnv} (kafka.sasl.passwordEnv, the password of user '${sasl.username}') is not set`)
  }
  return value
}

/** The kafkajs settings (SASL included) for the pipeline's kafka section. */
export function kafkaConfig(settings: KafkaSettings, options: KafkaClientOptions = {}): KafkaConfig {
  if (!settings.brokers?.length) throw new KafkaError('kafka.brokers is empty: name at least one bootstrap broker (host:port)')
  const password = saslPassword(settings, options)
  const sasl: SASLOptions | undefined = settings.sasl
    ? { mechanism: settings.sasl.mechanism, username: settings.sasl.username, password: password! }
    : undefined
  const config: KafkaConfig = {
    logLevel: options.logLevel ?? logLevel.ERROR,
    ...options.config,
    clientId: settings.clientId ?? options.config?.clientId ?? 'lakehouse',
    brokers: settings.brokers,
    ...(settings.ssl !== undefined ? { ssl: settings.ssl } : {}),
  }
  // Not enumerable: the password stays out of JSON.stringify, util.inspect and log payloads.
  if (sasl) Object.defineProperty(config, 'sasl', { value: sasl, enumerable: false, writable: false, configurable: false })
  return config
}

/**
 * A failed first connect, said with the SASL settings it used: kafkajs says only 'does not
 * support the requested API version' when a broker has no SASL.
 */
export function connectError(settings: KafkaSettings, error: Error): Error {
  if (!settings.sasl) return error
  return new KafkaError(
    `connecting to ${settings.brokers.join(', ')} with SASL ${settings.sasl.mechanism} as user '${settings.sasl.username}' failed: ${error.message}`,
    { cause: error },
  )
}

/** A kafkajs client that reads every Kafka codec (see codecs.ts: the registry is process-wide). */
export function kafkaClient(settings: KafkaSettings, options: KafkaClientOptions = {}): Kafka {
  ensureCompressionCodecs()
  return new Kafka(kafkaConfig(settings, options))
}

/** Decoder options for the schema registry: its password from the environment like SASL's. */
export function schemaRegistryOptions(
  settings: KafkaSettings | undefined,
  options: { password?: string; env?: Record<string, string | undefined> } = {},
): { url: string; username?: string; password?: string } | undefined {
  const registry = settings?.schemaRegistry
  if (!registry) return undefined
  let password = options.password
  if (password === undefined && registry.passwordEnv) {
    password = (options.env ?? process.env)[registry.passwordEnv]
    if (password === undefined || password === '')
      throw new KafkaCredentialsError(`the environment variable ${registry.passwordEnv} (kafka.schemaRegistry.passwordEnv) is not set`)
  }
  return { url: registry.url, ...(registry.username !== undefined ? { username: registry.username } : {}), ...(password !== undefined ? { password } : {}) }
}
