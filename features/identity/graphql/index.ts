export { createIdentityModule, type IdentityModuleDeps } from './create-identity-module';
export { identityTypeDefs } from './identity-type-defs';
