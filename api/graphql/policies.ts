/**
 * The base schema's policy (queries every deployment serves). Feature modules
 * bring their own (`GraphQLModule.policy`, features/<name>/graphql); the
 * schema merges base + modules, and test/unit/security asserts that every
 * root field of the hub's schema has an entry.
 */
export { basePolicy } from './base-policy';
