// The artifact browser over HTTP through the download function: file pages with previews (objects,
// .tgz members, single-file artifacts), sorting and its bad input, and share links: every link on a
// shared listing works without a token, nothing above the shared folder is reachable, and a user
// without access sees the same refusal whether or not the thing exists.
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, startDownloadFixture, TOKENS, workflow, type DownloadFixture } from './helpers/download';

const SECRET = 'browser-http-share-secret-0123456789abcdef';
const WF = 'pages-wf';
const NODE = 'pages-wf-1';
const files = (art: string, rest = '') => `/artifact-files/argo/workflows/${WF}/${NODE}/outputs/${art}${rest}`;
const unescape = (v: string) => v.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const hrefs = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => unescape(m[1]));

let d: DownloadFixture;
const get = (path: string, o: { token?: string; method?: string; headers?: Record<string, string> } = { token: TOKENS.alice }) => d.request(path, o);

function tgz(): Readable {
  const p = pack();
  void (async () => {
    p.entry({ name: 'out/', type: 'directory' });
    p.entry({ name: 'out/table.csv' }, 'a,b\n1,<b>2</b>\n');
    const e = p.entry({ name: 'out/notes.md' }, '# Notes\n\n[x](javascript:alert(1)) and *fine*\n');
    await once(e, 'finish');
    p.finalize();
  })();
  return p.pipe(createGzip());
}

beforeAll(async () => {
  d = await startDownloadFixture({ env: { ARGO_OSS_SHARE_SECRET: SECRET } });
  await d.kube.writeWorkflow(
    workflow(WF, {
      [NODE]: {
        outputs: [
          artifact('results', `argo/${WF}/results`, { archive: { none: {} } }),
          artifact('bundle', `argo/${WF}/bundle.tgz`),
          artifact('message', `argo/${WF}/message.txt`, { archive: { none: {} } }),
        ],
      },
    }),
  );
  await d.putMany([
    [`argo/${WF}/results/data.csv`, 'name,value\nalpha,1\n<script>,2\n'],
    [`argo/${WF}/results/big.log`, 'x'.repeat(600 * 1024)],
    [`argo/${WF}/results/sub/deep/leaf.txt`, 'leaf'],
    [`argo/${WF}/results/sub/b.json`, '{"k":[1,2]}'],
    [`argo/${WF}/message.txt`, 'hello <world>'],
  ]);
  await d.putStream(`argo/${WF}/bundle.tgz`, tgz());
}, 60_000);

afterAll(async () => {
  await d?.close();
});

describe('file pages', () => {
  it('an object of a directory artifact: metadata, a download button and an escaped CSV table', async () => {
    const r = await get(files('results', '/data.csv?view=1'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    const html = r.body.toString();
    expect(html).toContain('<th>name</th><th>value</th>');
    expect(html).toContain('<td>&lt;script&gt;</td>');
    expect(html).not.toContain('<script');
    expect(html).toContain(`<a class="btn primary" href="${files('results', '/data.csv')}">Download</a>`);
    expect(hrefs(html)).toContain(files('results', '/'));
  });

  it('a big log is previewed by its first 256 KiB only', async () => {
    const html = (await get(files('results', '/big.log?view=1'))).body.toString();
    expect(html).toContain('first 256 KiB of 600 KiB');
    expect(html.length).toBeLessThan(300 * 1024);
  });

  it('a member of a .tgz, with its Markdown rendered safely', async () => {
    const r = await get(files('bundle', '/out/notes.md?view=1'));
    expect(r.status).toBe(200);
    const html = r.body.toString();
    expect(html).toContain('<h1>Notes</h1>');
    expect(html).toContain('<em>fine</em>');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('<dt>In archive</dt><dd>bundle.tgz</dd>');
    expect((await get(files('bundle', '/out/table.csv?view=1'))).body.toString()).toContain('<td>&lt;b&gt;2&lt;/b&gt;</td>');
    expect((await get(files('bundle', '/out/nope.md?view=1'))).status).toBe(404);
  });

  it('a single-file artifact and a .tgz artifact have pages too; HEAD sends headers only', async () => {
    const one = (await get(files('message', '?view=1'))).body.toString();
    expect(one).toContain('<pre>hello &lt;world&gt;</pre>');
    expect(one).toContain('<span class="here">message</span>');
    const archive = (await get(files('bundle', '?view=1'))).body.toString();
    expect(archive).toContain(`<a class="btn" href="${files('bundle', '/')}">Browse archive</a>`);
    const head = await get(files('results', '/data.csv?view=1'), { token: TOKENS.alice, method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    // Without ?view the bytes, as before.
    expect((await get(files('message'))).body.toString()).toBe('hello <world>');
  });

  it('refuses another user the same way whether or not the file exists', async () => {
    const a = await get(files('results', '/data.csv?view=1'), { token: TOKENS.bob });
    const b = await get(files('results', '/missing.csv?view=1'), { token: TOKENS.bob });
    expect(a.status).toBe(403);
    expect(b.status).toBe(403);
    expect(a.body.toString()).toBe(b.body.toString());
  });
});

describe('listing pages', () => {
  it('sorts by a column and names a bad parameter', async () => {
    const html = (await get(files('results', '/?sort=size&order=desc'))).body.toString();
    const names = [...html.matchAll(/<td class="name">(?:<svg[^]*?<\/svg>)?<a href="[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]);
    expect(names).toEqual(['sub/', 'big.log', 'data.csv']);
    expect(html).toContain('1 folder, 2 files');
    const bad = await get(files('results', '/?sort=owner'));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString()).error).toMatchObject({ code: 'InvalidArgument', field: 'sort' });
    expect((await get(files('results', '/?download=rar'))).status).toBe(400);
    expect((await get(files('bundle', '/?download=zip'))).status).toBe(400);
  });
});

describe('share links on the browser pages', () => {
  async function share(path: string): Promise<string> {
    const r = await d.request('/share', { token: TOKENS.alice, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path }) });
    expect(r.status).toBe(201);
    return (JSON.parse(r.body.toString()) as { path: string }).path;
  }

  it('every link on a shared listing works without a token, recursively', async () => {
    const start = await share(files('results', '/'));
    const seen = new Set<string>();
    const queue = [start];
    while (queue.length) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      seen.add(url);
      const r = await d.request(url);
      expect(r.status, url).toBe(200);
      if (!String(r.headers['content-type']).startsWith('text/html')) continue;
      for (const h of hrefs(r.body.toString())) {
        expect(h.startsWith(files('results', '/')), `${h} on ${url}`).toBe(true);
        expect(h, `${h} on ${url}`).toMatch(/[?&]signature=/);
        queue.push(h);
      }
    }
    // Listings, file pages, sort links, file bytes and folder downloads were all followed.
    expect([...seen].some((u) => u.includes('/sub/deep/leaf.txt?view=1'))).toBe(true);
    expect([...seen].some((u) => u.includes('download=zip'))).toBe(true);
    expect([...seen].some((u) => u.includes('sort=size'))).toBe(true);
  });

  it('a shared sub-folder never links above itself, and its signature opens nothing else', async () => {
    const shared = await share(files('results', '/sub/'));
    const html = (await d.request(shared)).body.toString();
    for (const h of hrefs(html)) expect(h.startsWith(files('results', '/sub/')), h).toBe(true);
    expect(html).toContain('<span>results</span>'); // the artifact root: text, not a link
    const q = shared.split('?')[1];
    expect((await d.request(`${files('results', '/')}?${q}`)).status).toBe(403);
    expect((await d.request(`${files('results', '/data.csv')}?${q}`)).status).toBe(403);
  });

  it('a share link of a directory without its final slash is redirected with a signature that works', async () => {
    const shared = await share(files('results'));
    const r = await d.request(shared);
    expect(r.status).toBe(307);
    const location = String(r.headers.location);
    expect(location.startsWith(files('results', '/?'))).toBe(true);
    expect((await d.request(location)).status).toBe(200);
  });
});
