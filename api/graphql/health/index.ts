export * from './change-feed';
export * from './health-module';
export * from './subscriptions-module';
