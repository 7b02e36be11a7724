#!/usr/bin/env node
// The `argo-oss` command from a checkout: runs the TypeScript sources through tsx, no build step.
// Pods use the self-contained bundle from `npm run build` (dist/cli/argo-oss.cjs) instead.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
