#!/usr/bin/env -S node --max-semi-space-size=64
// The flags are app/v8-flags.ts's V8_FLAGS (a shebang cannot import them; a test keeps them equal).
// The published entry point: run the TypeScript CLI through tsx's CommonJS hook.
require('tsx/cjs');
void require('../cli.ts').main();
