#!/usr/bin/env node
// The CLI entry (`npx metric-studio`): loads the TypeScript sources through tsx, so no build is needed.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../main/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
