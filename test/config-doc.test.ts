import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../shared/config';
import { CONFIG_DOC_FILE, withConfigReference } from '../shared/config-doc';

describe('configuration reference (docs/configuration.md)', () => {
  const doc = readFileSync(new URL(`../${CONFIG_DOC_FILE}`, import.meta.url), 'utf8');

  it('is the one generated from shared/config.ts (run `npm run docs:config` after changing a variable)', () => {
    expect(doc).toBe(withConfigReference(doc));
  });

  it('names every declared variable', () => {
    for (const v of CONFIG_VARIABLES) expect(doc).toContain(`| \`${v.name}\` |`);
  });

  it('is linked from the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(`](${CONFIG_DOC_FILE})`);
  });
});
