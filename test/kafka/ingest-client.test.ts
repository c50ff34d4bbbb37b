/** The kafkajs client built from the pipeline's kafka section: SASL passwords from the environment or the caller, never exposed. */
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { test } from 'node:test'
import { kafkaConfig, KafkaCredentialsError, saslPassword, schemaRegistryOptions } from '../../src/kafka/client'
import type { KafkaSettings } from '../../src/pipeline/pipeline-file'

const settings: KafkaSettings = {
  brokers: ['b1:9092'],
  ssl: true,
  sasl: { mechanism: 'scram-sha-512', username: 'svc', passwordEnv: 'LAKEHOUSE_TEST_KAFKA_PW' },
}

test('the SASL password comes from the variable named by passwordEnv, or from the caller', () => {
  assert.equal(saslPassword(settings, { env: { LAKEHOUSE_TEST_KAFKA_PW: 's3cret' } }), 's3cret')
  assert.equal(saslPassword(settings, { env: {}, password: 'from-secret-storage' }), 'from-secret-storage')
  assert.equal(saslPassword({ brokers: ['b:1'] }), undefined)
})

test('an unset variable is a clear error that names it and no secret', () => {
  assert.throws(
    () => kafkaConfig(settings, { env: {} }),
    (error: Error) => {
      assert.ok(error instanceof KafkaCredentialsError)
      assert.match(error.message, /LAKEHOUSE_TEST_KAFKA_PW .*is not set/)
      return true
    },
  )
  assert.throws(() => saslPassword({ ...settings, sasl: { mechanism: 'plain', username: 'u' } }, { env: {} }), /passwordEnv/)
  assert.throws(
    () => schemaRegistryOptions({ brokers: ['b:1'], schemaRegistry: { url: 'http://r', username: 'u', passwordEnv: 'LAKEHOUSE_TEST_SR_PW' } }, { env: {} }),
    /LAKEHOUSE_TEST_SR_PW/,
  )
})

test('the config carries SASL for kafkajs but never shows the password', () => {
  const config = kafkaConfig(settings, { env: { LAKEHOUSE_TEST_KAFKA_PW: 's3cret' } })
  assert.deepEqual(config.sasl, { mechanism: 'scram-sha-512', username: 'svc', password: 's3cret' })
  assert.equal(config.ssl, true)
  assert.deepEqual(config.brokers, ['b1:9092'])
  assert.doesNotMatch(JSON.stringify(config), /s3cret/)
  assert.doesNotMatch(inspect(config, { depth: 5 }), /s3cret/)
  assert.doesNotMatch(inspect({ ...config }), /s3cret/)
})
