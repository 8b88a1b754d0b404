export * from './device-health';
export * from './health-config';
export * from './health-monitor';
export * from './health-rules';
export * from './proactive-care';
