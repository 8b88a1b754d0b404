/**
 * Imported first by the CLI, before any library: graphql-js and Express pick their
 * development-time checks from NODE_ENV when they are first loaded (graphql-js checks every
 * `instanceOf` across realms, which cost 6–11 % of a 360° view's throughput). c360's own
 * behaviour never depends on it — introspection, stack traces in errors and the console build
 * are explicit settings — so a process started without NODE_ENV runs the libraries in their
 * production mode. An operator's NODE_ENV (and Jest's `test`) is left as it is.
 */
process.env.NODE_ENV ??= 'production';
