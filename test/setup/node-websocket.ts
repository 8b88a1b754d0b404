/**
 * Node 20 has no global WebSocket, and the gremlin driver's fallback
 * `await import('ws')` is refused inside jest's VM ("dynamic import callback
 * was invoked without --experimental-vm-modules"). Giving it the same `ws`
 * package as a global makes the driver take its global-WebSocket path.
 * Import it first in test files that talk to Gremlin Server (or list it in the
 * integration project's jest `setupFiles`).
 */
if (!('WebSocket' in globalThis)) Object.assign(globalThis, { WebSocket: require('ws') });
