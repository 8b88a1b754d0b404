/** Realistic, seeded demo data: Debezium CRM changes, Segment clickstream, home-device telemetry. */

export { PRIMARY_KEYS, zonedTimestamp } from './crm-rows';
export { type CustomerProfile, createProfile, customerId } from './customer-profile';
export { DEBEZIUM_VERSION, topicFor } from './debezium-writer';
export { countDemoMessage, createDemoCounts, type DemoCounts, type DemoSummary, describeDemo } from './demo-counts';
export { type DemoHighlights, demoHighlights } from './demo-highlights';
export { DEGRADED_THRESHOLDS, type TelemetryReport } from './device-telemetry';
export {
  CLICKSTREAM_TOPIC,
  createDemoPlan,
  DEMO_DEFAULTS,
  type DemoMessage,
  type DemoOptions,
  generateDemo,
  TELEMETRY_TOPIC,
} from './generate-demo';
export { type DemoRunResult, type RunDemoOptions, runDemo } from './run-demo';
export { DEMO_FILES, type DemoFilesResult, readDemoFile, writeDemoFiles } from './write-demo-files';
