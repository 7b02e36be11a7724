import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../shared/config';
import { withConfigReference } from '../shared/config-doc';

describe('README configuration reference', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  it('is the one generated from shared/config.ts (run `npm run docs:config` after changing a variable)', () => {
    expect(readme).toBe(withConfigReference(readme));
  });

  it('names every declared variable', () => {
    for (const v of CONFIG_VARIABLES) expect(readme).toContain(`| \`${v.name}\` |`);
  });
});
