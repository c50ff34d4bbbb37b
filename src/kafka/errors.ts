/**
 * The Kafka layer's errors. Each says what was being done with which cluster or topic; `retriable`
 * says whether the same operation may succeed later (kafkajs reads the flag too, for errors it
 * sees: an error that kafkajs must not retry sets it to false).
 */
export class KafkaError extends Error {
  readonly retriable: boolean
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = 'KafkaError'
    this.retriable = options.retriable ?? false
  }
}
