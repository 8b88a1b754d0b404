export * from './health-module';
