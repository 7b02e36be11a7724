// Rewrites the configuration reference in README.md from shared/config.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigReference } from '../shared/config-doc';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withConfigReference(readFileSync(path, 'utf8')));
console.log('README.md configuration reference updated');
