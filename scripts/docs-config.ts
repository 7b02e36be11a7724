// Rewrites the configuration reference in docs/configuration.md from shared/config.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_DOC_FILE, withConfigReference } from '../shared/config-doc';

const path = new URL(`../${CONFIG_DOC_FILE}`, import.meta.url);
writeFileSync(path, withConfigReference(readFileSync(path, 'utf8')));
console.log(`${CONFIG_DOC_FILE} configuration reference updated`);
