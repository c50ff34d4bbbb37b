/**
 * Creating and deleting topics (src/kafka/topic-admin.ts): names and configs checked in Kafka's
 * terms, a cluster not marked as dev refused before anything connects (a TCP listener counts the
 * connections), and what the real mock broker does with the requests. The mock (librdkafka's
 * mock cluster, test/kafka/broker.ts) implements neither CreateTopics nor DeleteTopics, so a
 * topic created through kafkajs cannot be seen to appear here: the tests check what is checked
 * before the request, and that the mock's refusal comes back as an error naming topic and brokers.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { after, before, test } from 'node:test'
import { createTopic, deleteTopic, NotADevClusterError, parseTopicConfigs, topicNameProblem, type KafkaSettings } from '../../src/kafka'
import { startBroker, type MockBroker } from './broker'

let broker: MockBroker
let dev: KafkaSettings
let listener: Server
let connections = 0
let listenerAddress = ''

before(async () => {
  broker = await startBroker({ topics: [{ name: 'existing', partitions: 2 }] })
  dev = { brokers: broker.brokers, clientId: 'topic-admin-test', dev: true }
  listener = createServer((socket) => {
    connections++
    socket.destroy()
  })
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  const address = listener.address()
  listenerAddress = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})

after(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()))
  await broker.stop()
})

test("topic names follow Kafka's rule", () => {
  assert.equal(topicNameProblem('shop.orders-v2_x'), undefined)
  assert.equal(topicNameProblem(''), 'a topic needs a name')
  assert.equal(topicNameProblem('..'), "'..' is not a topic name")
  assert.equal(topicNameProblem('a b'), "' ' cannot be in a topic name: only letters, digits, '.', '_' and '-'")
  assert.equal(topicNameProblem('x'.repeat(250)), 'a topic name has at most 249 characters (this one has 250)')
  assert.match(topicNameProblem('__consumer_offsets')!, /internal topics/)
})

test('configs are key=value, separated by commas or lines', () => {
  assert.deepEqual(parseTopicConfigs(' cleanup.policy=compact, retention.ms = 60000\nsegment.bytes=1048576\n'), {
    'cleanup.policy': 'compact',
    'retention.ms': '60000',
    'segment.bytes': '1048576',
  })
  assert.deepEqual(parseTopicConfigs(''), {})
  assert.throws(() => parseTopicConfigs('retention.ms'), /'retention\.ms' is not a topic config: write key=value/)
  assert.throws(() => parseTopicConfigs('=5'), /'=5' is not a topic config/)
})

test('a cluster not marked as dev is refused before anything connects', async () => {
  const settings: KafkaSettings = { brokers: [listenerAddress] }
  await assert.rejects(createTopic(settings, { name: 'new', partitions: 1, replicationFactor: 1, configs: {} }), NotADevClusterError)
  await assert.rejects(deleteTopic(settings, 'existing'), (error: Error) => error instanceof NotADevClusterError && error.message.includes(listenerAddress))
  // The same calls on a dev cluster do connect (and fail, nothing answers Kafka there): the listener sees them.
  await assert.rejects(deleteTopic({ ...settings, dev: true }, 'existing'), new RegExp(`^KafkaError: deleting topic existing on ${listenerAddress}:`))
  assert.ok(connections > 0)
  const before = connections
  await assert.rejects(createTopic(settings, { name: 'new', partitions: 1, replicationFactor: 1, configs: {} }), NotADevClusterError)
  assert.equal(connections, before)
})

test('a bad topic is refused before the broker is asked', async () => {
  await assert.rejects(createTopic(dev, { name: 'a/b', partitions: 1, replicationFactor: 1, configs: {} }), /'\/' cannot be in a topic name/)
  await assert.rejects(
    createTopic(dev, { name: 'ok', partitions: 0, replicationFactor: 1, configs: {} }),
    /partitions must be a whole number of at least 1, not 0/,
  )
  await assert.rejects(
    createTopic(dev, { name: 'ok', partitions: 1, replicationFactor: 1.5, configs: {} }),
    /replication factor must be a whole number of at least 1, not 1.5/,
  )
})

test("against the mock broker: an existing name, a missing topic, and the broker's own refusal, each naming topic and brokers", async () => {
  const on = broker.brokers.join(', ')
  await assert.rejects(createTopic(dev, { name: 'existing', partitions: 1, replicationFactor: 1, configs: {} }), {
    message: `creating topic existing on ${on}: the cluster has a topic of that name already`,
  })
  await assert.rejects(deleteTopic(dev, 'missing'), { message: `deleting topic missing on ${on}: the cluster has no topic of that name` })
  // The mock has no CreateTopics / DeleteTopics: the request reaches it and its failure is said.
  await assert.rejects(
    createTopic(dev, { name: 'fresh', partitions: 3, replicationFactor: 1, configs: { 'retention.ms': '60000' } }),
    (error: Error) => error.message.startsWith(`creating topic fresh on ${on}: `) && error.message.length > `creating topic fresh on ${on}: `.length,
  )
  await assert.rejects(deleteTopic(dev, 'existing'), (error: Error) => error.message.startsWith(`deleting topic existing on ${on}: `))
})
