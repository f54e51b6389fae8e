#!/usr/bin/env node
import { invocationDirectory } from './invocation-directory';
import { main } from './program';

// relative paths are the user's: under `npm run cli` the process starts in apps/trainer
process.chdir(invocationDirectory());
void main();
