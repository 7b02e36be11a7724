// The container image (Dockerfile): the CLI bundle from `npm run build` on a small Node 20 base, as a
// non-root user, with the artifact plugin as its entrypoint; the upload examples' init containers use
// that image and override the command to copy the bundle into the pod.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dirname, '..');
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Dockerfile instructions (comments and continuation lines folded), in order. */
async function instructions(): Promise<Array<[string, string]>> {
  const text = (await readFile(join(ROOT, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
  return text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).map((l) => {
    const m = /^\s*([A-Z]+)\s+(.*)$/.exec(l)!;
    return [m[1], m[2].trim()];
  });
}

describe('Dockerfile', () => {
  it('is the CLI bundle on a small Node 20 base, non-root, with the plugin as entrypoint', async () => {
    const ins = await instructions();
    const of = (k: string) => ins.filter(([i]) => i === k).map(([, v]) => v);
    expect(of('FROM')).toHaveLength(1);
    expect(of('FROM')[0]).toMatch(/^node:20(\.\d+)*-(alpine|slim)/);
    const entry = JSON.parse(of('ENTRYPOINT')[0]) as string[];
    expect(entry[0]).toBe('node');
    expect(entry[2]).toBe('plugin');
    const bundle = entry[1];
    const [copy] = of('COPY');
    const parts = copy.split(/\s+/);
    expect(parts).toContain('dist/cli/argo-oss.cjs'); // what scripts/build.mjs writes
    expect(bundle).toBe(`${parts[parts.length - 1].replace(/\/$/, '')}/argo-oss.cjs`);
    const users = of('USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users[users.length - 1]).not.toMatch(/^(root|0)(:|$)/);
    expect(ins.findIndex(([i]) => i === 'USER')).toBeLessThan(ins.findIndex(([i]) => i === 'ENTRYPOINT'));
    expect(of('ENV')).toContain('TMPDIR=/tmp');
    const ignore = await readFile(join(ROOT, '.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*$/m);
    expect(ignore).toMatch(/^!dist\/cli\/argo-oss\.cjs$/m);
  });

  it("is the image of the upload examples' init containers, which copy the bundle from its path", async () => {
    const entry = JSON.parse((await instructions()).find(([i]) => i === 'ENTRYPOINT')![1]) as string[];
    let seen = 0;
    for (const file of ['upload-workflow.yaml', 'large-upload-workflow.yaml', 'fan-in-upload-workflow.yaml']) {
      const [wf] = parseAllDocuments(await readFile(join(ROOT, 'examples', file), 'utf8')).map((d) => d.toJSON() as Json);
      for (const t of wf.spec.templates as Json[]) {
        for (const ic of (t.initContainers ?? []) as Json[]) {
          expect(ic.image, file).toMatch(/\/argo-oss:\d+\.\d+\.\d+$/);
          expect(ic.command[0], file).toBe('cp');
          expect(ic.command[1], file).toBe(entry[1]);
          seen++;
        }
      }
    }
    expect(seen).toBeGreaterThanOrEqual(3);
  });
});
