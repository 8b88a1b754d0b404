#!/usr/bin/env node
// The published entry point: run the TypeScript CLI through tsx's CommonJS hook.
require('tsx/cjs');
void require('../cli.ts').main();
