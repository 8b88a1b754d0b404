export * from './change-feed';
export * from './subscriptions-module';
