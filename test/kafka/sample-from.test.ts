/**
 * One message by its coordinates (the topic panel opened at a message from "Show source"): the
 * sample reads only that partition from that offset, on the mock broker, whatever the latest
 * messages are; an offset the partition no longer (or not yet) holds gives nothing.
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sampleTopicMessages } from '../../src/kafka'
import { kafkaFor, MOCK_CONSUMER_SETTINGS, produceJson, startBroker, type MockBroker } from './broker'

let broker: MockBroker
before(async () => {
  broker = await startBroker({ topics: [{ name: 'clicks', partitions: 2 }] })
  await produceJson(
    kafkaFor(broker),
    'clicks',
    Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: { n: i }, partition: i % 2 })),
  )
})
after(() => broker.stop())

const settings = () => ({
  brokers: broker.brokers,
  consumer: { sessionTimeout: MOCK_CONSUMER_SETTINGS.sessionTimeout, heartbeatInterval: MOCK_CONSUMER_SETTINGS.heartbeatInterval },
})

test('from a partition and offset, the sample is that message (an old one, not among the latest)', async () => {
  const sample = await sampleTopicMessages(settings(), 'clicks', { limit: 1, from: { partition: 1, offset: '3' } })
  assert.deepEqual(
    sample.messages.map((m) => [m.partition, m.offset, JSON.parse(Buffer.from(m.value!).toString()).n]),
    [[1, '3', 7]],
  )
  const three = await sampleTopicMessages(settings(), 'clicks', { limit: 3, from: { partition: 0, offset: '28' } })
  assert.deepEqual(
    three.messages.map((m) => [m.partition, m.offset]),
    [
      [0, '28'],
      [0, '29'],
    ],
    'up to the end of the partition',
  )
})

test('an offset past the end of the partition gives no message', async () => {
  const sample = await sampleTopicMessages(settings(), 'clicks', { limit: 1, from: { partition: 0, offset: '500' }, timeoutMs: 10_000 })
  assert.deepEqual(sample.messages, [])
})
