export { isKafkaJsError, isKafkaRetriable, KafkaUnavailableError } from './errors';
export {
  ACTION_HEADERS,
  type ActionRecord,
  createKafkaActionSink,
  createKafkaChangePublisher,
  type KafkaActionSink,
  type KafkaChangePublisher,
} from './kafka-action-sink';
export { createKafkaClient, type KafkaClientOptions } from './kafka-client';
export {
  createKafkaDeadLetterArchive,
  fromDeadLetterRecord,
  type KafkaDeadLetterArchiveOptions,
  replayedTopicOf,
} from './kafka-dead-letter-archive';
export {
  boundedDeadLetterRecord,
  createKafkaDeadLetterSink,
  type KafkaDeadLetter,
  type KafkaDeadLetterSinkOptions,
  toDeadLetterRecord,
} from './kafka-dead-letter-sink';
export { HEADERS, headerText } from './kafka-headers';
export {
  createKafkaIngestWorker,
  type KafkaIngestWorker,
  type KafkaIngestWorkerOptions,
  type PausedPartition,
  type WorkerState,
} from './kafka-ingest-worker';
export { createKafkaLiveFeed, type KafkaLiveFeed, type KafkaLiveFeedOptions } from './kafka-live-feed';
export { createKafkaMetrics, type KafkaMetrics } from './kafka-metrics';
export { createKafkaProducerPipeline, type KafkaProducerPipelineOptions } from './kafka-producer-pipeline';
export { cdcTopicPattern, ensureTopics, type HubTopics, hubTopicSpecs, type TopicSpec } from './kafka-topics';
