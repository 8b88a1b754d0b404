export { analyticsTypeDefs } from './analytics-type-defs';
export { createAnalyticsModule } from './create-analytics-module';
