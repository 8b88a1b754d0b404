export { createDeadLettersModule, type DeadLettersModuleDeps } from './create-dead-letters-module';
export { deadLettersPolicy } from './dead-letters-policy';
