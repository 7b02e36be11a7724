// Directory artifacts (`archive: none`: many objects under key/) and Argo's default .tgz archives:
// listings that page through more than 1,000 objects, escaped names, redirects to the trailing
// slash, and files streamed out of a .tgz (including a member over 64 MiB) without staging it.
import { createGzip } from 'node:zlib';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, pseudoRandom, pseudoRandomSha, sha256, startDownloadFixture, TOKENS, workflow, type DownloadFixture } from './helpers/download';

const MANY = 1_205;
const BIG_MEMBER = 80 * 1024 * 1024;
const WF = 'files-wf';
const NODE = 'files-wf-1';
const files = (art: string, rest = '') => `/artifact-files/argo/workflows/${WF}/${NODE}/outputs/${art}${rest}`;
const WEIRD = ['<img src=x onerror=alert(1)>.txt', 'a&b "quoted".txt', 'ünï cödé.txt', 'hash#question?.txt', "it's.txt"];

let d: DownloadFixture;
/** The name links of a browser listing page: [href (HTML-unescaped), text]. */
const nameLinks = (html: string): Array<[string, string]> =>
  [...html.matchAll(/<td class="name">(?:<svg[^]*?<\/svg>)?<a href="([^"]*)">([^<]*)<\/a>/g)].map((m) => [m[1].replace(/&#39;/g, "'").replace(/&amp;/g, '&'), m[2]]);
const get = (path: string, o: { headers?: Record<string, string>; method?: string } = {}) => d.request(path, { token: TOKENS.alice, ...o });

/** Argo's archive layout for a directory artifact `out`, generated as a stream (the big member is never in memory). */
function argoTgz(): Readable {
  const p = pack();
  const add = async () => {
    p.entry({ name: 'out/', type: 'directory' });
    p.entry({ name: 'out/a.txt' }, 'alpha\n');
    p.entry({ name: 'out/sub/', type: 'directory' });
    p.entry({ name: 'out/sub/b.txt' }, 'bravo\n');
    const big = p.entry({ name: 'out/sub/big.bin', size: BIG_MEMBER });
    pseudoRandom(BIG_MEMBER, 'member').pipe(big);
    await once(big, 'finish');
    p.entry({ name: 'out/z-after-big.txt' }, 'zulu\n');
    p.finalize();
  };
  void add();
  return p.pipe(createGzip({ level: 1 }));
}

beforeAll(async () => {
  d = await startDownloadFixture();
  await d.kube.writeWorkflow(
    workflow(WF, {
      [NODE]: {
        outputs: [
          artifact('many', `${WF}/many`, { archive: { none: {} } }),
          artifact('slashed', `${WF}/slashed/`, { archive: { none: {} } }),
          artifact('out', `${WF}/out.tgz`),
          artifact('message', `${WF}/message`, { archive: { none: {} } }),
        ],
      },
    }),
  );
  const entries: Array<[string, string]> = [[`${WF}/many/`, '']];
  for (let i = 0; i < MANY; i++) entries.push([`${WF}/many/f${String(i).padStart(4, '0')}.txt`, `file ${i}`]);
  entries.push([`${WF}/many/subdirectory/`, ''], [`${WF}/many/subdirectory/sub-file-1`, 'one'], [`${WF}/many/subdirectory/sub-file-2`, 'two']);
  for (const w of WEIRD) entries.push([`${WF}/many/${w}`, w]);
  entries.push([`${WF}/slashed/`, ''], [`${WF}/slashed/x.txt`, 'x'], [`${WF}/message`, 'hello']);
  await Promise.all([d.putMany(entries, 32), d.putStream(`${WF}/out.tgz`, argoTgz())]);
}, 120_000);

afterAll(async () => {
  await d?.close();
});

describe('directory artifacts', () => {
  it('without the trailing slash → 307 to it (query kept)', async () => {
    const r = await get(files('many'));
    expect(r.status).toBe(307);
    expect(r.headers.location).toBe(files('many', '/'));
    expect((await get(files('many', '?format=json'))).headers.location).toBe(files('many', '/?format=json'));
    expect((await get(files('many', '/subdirectory'))).headers.location).toBe(files('many', '/subdirectory/'));
  });

  it(`lists all ${MANY + 1 + WEIRD.length} entries across pages as HTML, Argo-compatible`, async () => {
    const r = await get(files('many', '/'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toMatch(/sandbox allow-same-origin allow-downloads/);
    let html = r.body.toString();
    // No '..' above the artifact: the breadcrumbs lead back, and only to listings.
    expect(html).not.toContain('href=".."');
    expect(html).toContain('<span class="ctx">argo</span><span class="sep">/</span><span class="ctx">files-wf</span>');
    expect(html).toContain('<span class="here">many</span>');
    expect(html).toMatch(/<td class="num"><span title="6 bytes">6 B<\/span><\/td>/);
    // Pages of 500 in OSS's order, one List call each, chained by the continuation token.
    const links: Array<[string, string]> = [];
    for (let pages = 1; ; pages++) {
      links.push(...nameLinks(html));
      const next = /<a class="btn" href="([^"]*)" rel="next">/.exec(html);
      if (!next) {
        expect(pages).toBe(3);
        break;
      }
      html = (await get(next[1].replace(/&amp;/g, '&'))).body.toString();
    }
    expect(links.length).toBe(MANY + 1 + WEIRD.length);
    expect(new Set(links.map(([h]) => h)).size).toBe(links.length);
    expect(links).toContainEqual([files('many', '/subdirectory/'), 'subdirectory/']);
    expect(links).toContainEqual([files('many', '/f0000.txt?view=1'), 'f0000.txt']);
    expect(links).toContainEqual([files('many', `/f${MANY - 1}.txt?view=1`), `f${MANY - 1}.txt`]);
  });

  it('escapes names in text and links', async () => {
    const html = (await get(files('many', '/'))).body.toString();
    expect(html).not.toContain('<img');
    const next = /<a class="btn" href="([^"]*)" rel="next">/.exec(html)!;
    const all = html + (await get(next[1].replace(/&amp;/g, '&'))).body.toString();
    const last = /<a class="btn" href="([^"]*)" rel="next">/.exec(all.slice(html.length))!;
    const page = all + (await get(last[1].replace(/&amp;/g, '&'))).body.toString();
    expect(page).not.toContain('<img');
    expect(page).toContain(`<a href="${files('many', '/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.txt?view=1')}">&lt;img src=x onerror=alert(1)&gt;.txt</a>`);
    expect(page).toContain(`<a href="${files('many', '/a%26b%20%22quoted%22.txt?view=1')}">a&amp;b &quot;quoted&quot;.txt</a>`);
    expect(page).toContain(`<a href="${files('many', '/hash%23question%3F.txt?view=1')}">hash#question?.txt</a>`);
    expect(page).toContain(`<a href="${files('many', '/it&#39;s.txt?view=1')}">it&#39;s.txt</a>`);
    // Every link leads to its file.
    for (const w of WEIRD) {
      const r = await get(files('many', `/${encodeURIComponent(w)}`));
      expect(r.status, w).toBe(200);
      expect(r.body.toString()).toBe(w);
    }
  });

  it('?format=json gives the same entries', async () => {
    const r = await get(files('many', '/?format=json'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = JSON.parse(r.body.toString()) as { path: string; count: number; entries: Array<{ name: string; type: string; size?: number; href: string }> };
    expect(body.path).toBe(files('many', '/'));
    expect(body.entries.length).toBe(MANY + 1 + WEIRD.length);
    expect(body.count).toBe(body.entries.length);
    expect(body.entries.find((e) => e.name === 'subdirectory')).toEqual({ name: 'subdirectory', type: 'directory', href: './subdirectory/' });
    expect(body.entries.find((e) => e.name === 'f0042.txt')).toMatchObject({ type: 'file', size: 7, href: './f0042.txt' });
    const names = body.entries.map((e) => (e.type === 'directory' ? `${e.name}/` : e.name));
    expect(names).toEqual([...names].sort());
  });

  it('lists a sub-directory and serves its files', async () => {
    const links = nameLinks((await get(files('many', '/subdirectory/'))).body.toString());
    expect(links).toEqual([
      [files('many', '/subdirectory/sub-file-1?view=1'), 'sub-file-1'],
      [files('many', '/subdirectory/sub-file-2?view=1'), 'sub-file-2'],
    ]);
    expect((await get(files('many', '/subdirectory/sub-file-2'))).body.toString()).toBe('two');
  });

  it('HEAD of a listing sends the headers only', async () => {
    const r = await get(files('many', '/'), { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
  });

  it('a key recorded with a trailing slash is the same directory', async () => {
    expect(nameLinks((await get(files('slashed', '/'))).body.toString())).toEqual([[files('slashed', '/x.txt?view=1'), 'x.txt']]);
    expect((await get(files('slashed', '/x.txt'))).body.toString()).toBe('x');
  });

  it('missing files and directories → 404; a file asked for as a directory → redirect to the file', async () => {
    expect((await get(files('many', '/nope.txt'))).status).toBe(404);
    expect((await get(files('many', '/nope/'))).status).toBe(404);
    const r = await get(files('message', '/'));
    expect(r.status).toBe(307);
    expect(r.headers.location).toBe(files('message'));
    expect((await get(files('message'))).body.toString()).toBe('hello');
  });
});

describe('.tgz artifacts', () => {
  it('the artifact itself is the archive (as Argo serves it), also with ?download=raw', async () => {
    const info = await d.oss.sdk.head(`${WF}/out.tgz`);
    for (const path of [files('out'), files('out', '/?download=raw'), `/artifacts/argo/${WF}/${NODE}/out`]) {
      const r = await d.stream(path, { token: TOKENS.alice });
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toBe('application/gzip');
      expect(r.headers['content-disposition']).toMatch(/^attachment; filename="out.tgz"/);
      expect(String(r.bytes)).toBe((info.res.headers as Record<string, string>)['content-length']);
    }
    expect((await get(files('out', '/out/a.txt?download=raw'))).status).toBe(400);
  }, 60_000);

  it('the root lists the archive entries; directories list their children', async () => {
    const root = await get(files('out', '/?format=json'));
    expect(root.status).toBe(200);
    expect(JSON.parse(root.body.toString()).entries).toEqual([{ name: 'out', type: 'directory', href: './out/' }]);
    const out = JSON.parse((await get(files('out', '/out/?format=json'))).body.toString()).entries as Array<{ name: string; type: string; size?: number }>;
    expect(out.map((e) => [e.name, e.type, e.size])).toEqual([
      ['a.txt', 'file', 6],
      ['sub', 'directory', undefined],
      ['z-after-big.txt', 'file', 5],
    ]);
    const html = (await get(files('out', '/out/sub/'))).body.toString();
    expect(nameLinks(html)).toEqual([
      [files('out', '/out/sub/b.txt?view=1'), 'b.txt'],
      [files('out', '/out/sub/big.bin?view=1'), 'big.bin'],
    ]);
    expect(html).toContain(`<span title="${BIG_MEMBER.toLocaleString('en-US')} bytes">80 MiB</span>`);
    expect(html).toContain(`<a class="btn primary" href="${files('out', '/?download=raw')}">Download archive (.tgz)</a>`);
    expect((await get(files('out', '/nope/'))).status).toBe(404);
  }, 60_000);

  it('streams one member with its length and type', async () => {
    const r = await get(files('out', '/out/a.txt'));
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('alpha\n');
    expect(r.headers['content-length']).toBe('6');
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename="a.txt"/);
    expect((await get(files('out', '/out/z-after-big.txt'))).body.toString()).toBe('zulu\n');
  }, 60_000);

  it('streams an 80 MiB member byte for byte', async () => {
    const r = await d.stream(files('out', '/out/sub/big.bin'), { token: TOKENS.alice });
    expect(r.status).toBe(200);
    expect(r.headers['content-length']).toBe(String(BIG_MEMBER));
    expect(r.complete).toBe(true);
    expect(r.bytes).toBe(BIG_MEMBER);
    expect(r.sha256).toBe(await pseudoRandomSha(BIG_MEMBER, 'member'));
  }, 60_000);

  it('a range of a member, 304 on its ETag, HEAD with its length', async () => {
    const start = 70 * 1024 * 1024;
    const r = await d.stream(files('out', '/out/sub/big.bin'), { token: TOKENS.alice, headers: { range: `bytes=${start}-` } });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes ${start}-${BIG_MEMBER - 1}/${BIG_MEMBER}`);
    expect(r.sha256).toBe(await pseudoRandomSha(BIG_MEMBER, 'member', start));
    const head = await get(files('out', '/out/sub/b.txt'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('6');
    const etag = head.headers.etag!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await get(files('out', '/out/sub/b.txt'), { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await get(files('out', '/out/a.txt'), { headers: { 'if-none-match': etag } })).status).toBe(200);
    const part = await get(files('out', '/out/sub/b.txt'), { headers: { range: 'bytes=1-3' } });
    expect(part.status).toBe(206);
    expect(part.body.toString()).toBe('rav');
  }, 60_000);

  it('a missing member → 404 naming it', async () => {
    const r = await get(files('out', '/out/missing.txt'));
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body.toString()).error.code).toBe('MemberNotFound');
    expect(sha256(r.body)).not.toBe('');
  }, 60_000);
});
