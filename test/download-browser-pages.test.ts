// The artifact browser's pieces without a server: preview caps and escaping (text, log, JSON, CSV,
// Markdown, images), listing queries, the bounded TopK sort, archive folder counts, share-carrying
// links, and the rendered listing page (escaping, breadcrumbs that never lead to a 404 or above a
// share). The pages over HTTP and in a browser: download-browser-http.test.ts, download-browser.test.ts.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Links, redirectSearch } from '../shared/download/browser/links';
import { renderListingPage } from '../shared/download/browser/listing-page';
import { comparator, parseListingQuery, TopK, typeLabel, type BrowserEntry } from '../shared/download/browser/listing-query';
import { archiveChildren, archiveView } from '../shared/download/browser/listing-source';
import { renderInline, renderMarkdown } from '../shared/download/browser/markdown';
import {
  headText,
  looksBinary,
  noPreview,
  parseDelimited,
  previewKind,
  PREVIEW_CSV_ROWS,
  PREVIEW_IMAGE_BYTES,
  readHead,
  renderPreview,
} from '../shared/download/browser/preview';
import { parseArtifactPath } from '../shared/download/routes';
import { shareSignature, verifyShare } from '../shared/download/share';
import type { TarMember } from '../shared/download/tgz';

const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';

/** No tag or attribute came from the input: outside quoted attribute values there is no script, img or handler. */
function noRawMarkup(html: string): void {
  const outsideAttributes = html.replace(/="[^"]*"/g, '=""');
  expect(outsideAttributes).not.toContain('<script');
  expect(outsideAttributes).not.toContain('<img src=x');
  expect(outsideAttributes).not.toMatch(/<[^>]*\sonerror=/);
  expect(html).not.toMatch(/="[^"]*<[^"]*"/); // no raw '<' inside an attribute either
}

describe('readHead', () => {
  it('reads at most the cap, then destroys the source', async () => {
    let produced = 0;
    const source = new Readable({
      read() {
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024, 0x61));
      },
    });
    const head = await readHead(source, 100_000, 10 * 1024 * 1024);
    expect(head.bytes.length).toBe(100_000);
    expect(head.truncated).toBe(true);
    expect(source.destroyed).toBe(true);
    expect(produced).toBeLessThan(1024 * 1024); // stopped long before the 10 MiB
  });

  it('reads a small file whole and says so', async () => {
    const head = await readHead(Readable.from([Buffer.from('hello\n')]), 1000, 6);
    expect(head).toEqual({ bytes: Buffer.from('hello\n'), truncated: false });
  });

  it('drops a UTF-8 character the cap cut in half', () => {
    const bytes = Buffer.from('aé€😀');
    for (let cut = 1; cut <= bytes.length; cut++) {
      const text = headText({ bytes: bytes.subarray(0, cut), truncated: cut < bytes.length });
      expect(text).not.toContain('\ufffd');
      expect('aé€😀'.startsWith(text)).toBe(true);
    }
  });

  it('tells binary from text', () => {
    expect(looksBinary(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]))).toBe(true);
    expect(looksBinary(Buffer.from('plain text, ünïcödé ✓\n'.repeat(100)))).toBe(false);
  });
});

describe('previews', () => {
  const head = (s: string | Buffer, truncated = false) => ({ bytes: Buffer.from(s), truncated });

  it('picks the kind by extension', () => {
    expect(['a.csv', 'b.tsv', 'c.json', 'd.md', 'main.log', 'e.txt', 'f.PNG', 'g.tgz', 'message', 'h.svg'].map(previewKind)).toEqual([
      'csv', 'tsv', 'json', 'markdown', 'log', 'text', 'image', 'none', 'text', 'text',
    ]);
  });

  it('escapes text, logs and JSON', () => {
    for (const [name, kind] of [['a.txt', 'text'], ['main.log', 'log'], ['x.json', 'json']] as const) {
      const r = renderPreview({ name, size: XSS.length }, kind, head(XSS));
      noRawMarkup(r.html);
      expect(r.html).toContain('&lt;script&gt;');
    }
    const json = renderPreview({ name: 'x.json', size: 30 }, 'json', head(JSON.stringify({ k: XSS })));
    noRawMarkup(json.html);
    expect(json.html).toContain('&quot;k&quot;: ');
  });

  it('pretty-prints whole JSON; a cut file is shown as it is', () => {
    expect(renderPreview({ name: 'x.json', size: 13 }, 'json', head('{"a":[1,2]}')).html).toContain('{\n  &quot;a&quot;: [\n    1,');
    const cut = renderPreview({ name: 'x.json', size: 1_000_000 }, 'json', head('{"a":[1,2', true));
    expect(cut.html).toBe('<pre>{&quot;a&quot;:[1,2</pre>');
    expect(cut.caption).toMatch(/first 9 B of 977 KiB/);
  });

  it('marks errors and warnings in logs', () => {
    const r = renderPreview({ name: 'main.log', size: 40 }, 'log', head('ok\nWARNING disk\nError: boom <x>\n'));
    expect(r.html).toBe('<pre class="log">ok\n<span class="warn">WARNING disk</span>\n<span class="err">Error: boom &lt;x&gt;</span></pre>');
    expect(r.caption).toContain('3 lines');
  });

  it('renders CSV as an escaped table with quoted cells, capped at the row limit', () => {
    const csv = `name,value\n"a, b","multi\nline"\n"${XSS.replace(/"/g, '""')}",2\n`;
    const r = renderPreview({ name: 'x.csv', size: csv.length }, 'csv', head(csv));
    noRawMarkup(r.html);
    expect(r.html).toContain('<th>name</th><th>value</th>');
    expect(r.html).toContain('<td>a, b</td><td>multi\nline</td>');
    expect(r.caption).toBe('2 rows');
    const many = Array.from({ length: 2000 }, (_, i) => `${i},${i * 2}`).join('\n');
    const big = renderPreview({ name: 'big.csv', size: many.length }, 'csv', head(`h1,h2\n${many}`));
    expect(big.html.match(/<tr>/g)).toHaveLength(PREVIEW_CSV_ROWS + 1);
    expect(big.caption).toMatch(/^500 rows shown/);
  });

  it('leaves out a CSV row the cap cut', () => {
    expect(parseDelimited('a,b\n1,2\n3,', ',', 100, false).rows).toEqual([['a', 'b'], ['1', '2']]);
    expect(parseDelimited('a,b\n1,2\n3,', ',', 100, true).rows).toEqual([['a', 'b'], ['1', '2'], ['3', '']]);
  });

  it('renders Markdown without raw HTML or script links', () => {
    const md = `# Title ${XSS}\n\nSome *em* and **strong** and \`code <b>\`.\n\n- [ok](https://example.com/a?b=1&c=2)\n- [bad](javascript:alert(1))\n- [bad2](JaVaScRiPt:alert(1))\n- [data](data:text/html,<script>x</script>)\n- ![img](https://example.com/x.png)\n\n<div onclick="x()">raw</div>\n\n\`\`\`\n<script>in code</script>\n\`\`\`\n\n| a | b |\n|---|---|\n| 1 | <i>2</i> |\n`;
    const html = renderMarkdown(md);
    noRawMarkup(html);
    expect(html).toContain('<h1>Title &lt;script&gt;');
    expect(html).toContain('<em>em</em>');
    expect(html).toContain('<strong>strong</strong>');
    expect(html).toContain('<code>code &lt;b&gt;</code>');
    expect(html).toContain('<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer">ok</a>');
    expect(html).not.toMatch(/href="(javascript|data):/i);
    expect(html).toContain('<li>bad</li>');
    expect(html).toContain('&lt;div onclick=&quot;x()&quot;&gt;raw&lt;/div&gt;');
    expect(html).toContain('<pre><code>&lt;script&gt;in code&lt;/script&gt;</code></pre>');
    expect(html).toContain('<td>&lt;i&gt;2&lt;/i&gt;</td>');
    expect(html).not.toContain('<img');
    expect(renderInline('[x](java\tscript:alert(1))')).not.toContain('href');
  });

  it('shows an image only under the cap, by a same-origin URL', () => {
    const img = noPreview({ name: 'p.png', size: 1000, imageHref: '/artifact-files/a/workflows/w/n/outputs/x/p.png?e=1&s="' }, 'image')!;
    expect(img.html).toBe('<img class="pv-img" src="/artifact-files/a/workflows/w/n/outputs/x/p.png?e=1&amp;s=&quot;" alt="p.png">');
    const big = noPreview({ name: 'p.png', size: PREVIEW_IMAGE_BYTES + 1, imageHref: '/x' }, 'image')!;
    expect(big.html).not.toContain('<img');
    expect(big.html).toContain('10 MiB');
  });

  it('refuses to render binary content as text', () => {
    const r = renderPreview({ name: 'x.txt', size: 10 }, 'text', head(Buffer.from([1, 2, 0, 3])));
    expect(r.kind).toBe('none');
    expect(r.html).toContain('binary');
  });
});

describe('listing queries and sorting', () => {
  it('parses sort, order, page and cursor, naming a bad field', () => {
    expect(parseListingQuery(new URLSearchParams(''))).toEqual({ sort: 'name', order: 'asc', page: 1 });
    expect(parseListingQuery(new URLSearchParams('sort=size&order=desc&page=3'))).toEqual({ sort: 'size', order: 'desc', page: 3 });
    for (const [q, field] of [['sort=owner', 'sort'], ['order=up', 'order'], ['page=0', 'page'], ['page=x', 'page'], ['cursor=', 'cursor']]) {
      expect(() => parseListingQuery(new URLSearchParams(q))).toThrow(expect.objectContaining({ status: 400, field }));
    }
  });

  it('TopK keeps exactly the first k of a full sort in bounded memory', () => {
    const entries: BrowserEntry[] = Array.from({ length: 20_000 }, (_, i) => ({ name: `f${(i * 7919) % 20_000}`, dir: i % 13 === 0, size: (i * 104729) % 5000, lastModified: new Date(1_700_000_000_000 + ((i * 31) % 997) * 1000) }));
    for (const [sort, order] of [['size', 'desc'], ['modified', 'asc'], ['type', 'asc'], ['name', 'desc']] as const) {
      const cmp = comparator(sort, order);
      const top = new TopK(1500, cmp);
      for (const e of entries) top.push(e);
      expect(top.sorted()).toEqual([...entries].sort(cmp).slice(0, 1500));
    }
  });

  it('labels types', () => {
    expect(typeLabel({ name: 'a.csv', dir: false })).toBe('CSV');
    expect(typeLabel({ name: 'x', dir: true })).toBe('Folder');
    expect(typeLabel({ name: 'README', dir: false })).toBe('File');
    expect(typeLabel({ name: 'model.onnx', dir: false })).toBe('ONNX file');
  });

  it('counts the direct children of an archive folder', () => {
    const m = (name: string, type: TarMember['type'] = 'file'): TarMember => ({ name, size: 3, type });
    const members = [m('out', 'directory'), m('out/a.txt'), m('out/logs/x.log'), m('out/logs/y.log'), m('out/logs/deep/z'), m('out/empty', 'directory')];
    expect(archiveChildren(members, 'out')).toEqual([
      { name: 'logs', dir: true, count: 3 },
      { name: 'empty', dir: true, count: 0 },
      { name: 'a.txt', dir: false, size: 3 },
    ]);
    const view = archiveView(members, 'out', parseListingQuery(new URLSearchParams('sort=size&order=desc')))!;
    expect(view.totals).toEqual({ folders: 2, files: 1, bytes: 3, truncated: false });
    expect(archiveView(members, 'nope', parseListingQuery(new URLSearchParams()))).toBeUndefined();
  });
});

describe('links on shared pages', () => {
  const secret = 'x'.repeat(40);
  const grant = { secret, expires: 2_000_000_000, key: 'argo/wf/pod/results' };
  const here = '/artifact-files/argo/workflows/wf/n1/outputs/results/sub/';

  it('signs the page itself and what is below it, nothing above', () => {
    const l = new Links(here, grant);
    const child = `${here}a.csv`;
    const href = l.to(child, { view: '1' })!;
    const q = new URLSearchParams(href.split('?')[1]);
    expect(q.get('view')).toBe('1');
    expect(() => verifyShare({ expires: grant.expires, signature: q.get('signature')! }, child, secret, 1_900_000_000)).not.toThrow();
    expect(l.to(here, { download: 'zip' })).toContain('signature=');
    expect(l.to('/artifact-files/argo/workflows/wf/n1/outputs/results/')).toBeUndefined();
    expect(l.to('/artifact-files/argo/workflows/wf/n1/outputs/results/sub2/')).toBeUndefined();
    expect(new Links(here).to(child)).toBe(child);
  });

  it('re-signs a redirect only for the same path with or without its final slash', () => {
    const q = new URLSearchParams({ expires: String(grant.expires), signature: 'old', format: 'html' });
    const dir = '/artifact-files/argo/workflows/wf/n1/outputs/results';
    const to = new URLSearchParams(redirectSearch(q, dir, `${dir}/`, grant).slice(1));
    expect(to.get('signature')).toBe(shareSignature(secret, `${dir}/`, grant.expires));
    expect(to.get('format')).toBe('html');
    const away = new URLSearchParams(redirectSearch(q, dir, '/artifact-files/argo/workflows/wf/n1/outputs/other/', grant).slice(1));
    expect(away.has('signature')).toBe(false);
  });
});

describe('the listing page', () => {
  const route = parseArtifactPath('/artifact-files/argo/workflows/wf/n1/outputs/results/sub/');
  const entries: BrowserEntry[] = [
    { name: 'deep', dir: true },
    { name: XSS, dir: false, size: 1536, lastModified: new Date('2024-05-01T13:07:00Z') },
  ];
  const view = { entries, page: 1, offset: 0, cursorMode: true, firstPage: true, nextCursor: 'tok' };
  const query = parseListingQuery(new URLSearchParams());

  it('escapes names, links files to their page and a download, folders to their listing and archives', () => {
    const html = renderListingPage({ route, kind: 'directory', subPath: route.subPath, view, query, links: new Links(route.canonicalPath) });
    noRawMarkup(html);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain(`href="${route.canonicalPath}deep/"`);
    expect(html).toContain(`href="${route.canonicalPath}${encodeURIComponent(XSS).replace(/'/g, '&#39;')}?view=1"`);
    expect(html).toContain(`href="${route.canonicalPath}deep/?download=zip"`);
    expect(html).toContain('Download folder (.zip)');
    expect(html).toContain('1.5 KiB');
    expect(html).toContain('2024-05-01 13:07 UTC');
    expect(html).toContain('?cursor=tok');
    expect(html).toContain('aria-sort="ascending"');
    // Breadcrumbs: namespace, workflow and node are context, the artifact root and sub/ links.
    expect(html).toContain('<span class="ctx">argo</span>');
    expect(html).toContain('<a href="/artifact-files/argo/workflows/wf/n1/outputs/results/">results</a>');
    expect(html).not.toContain('href=".."');
  });

  it('on a shared page, links carry signatures and nothing above the shared folder is a link', () => {
    const grant = { secret: 's'.repeat(40), expires: 2_000_000_000, key: 'argo/wf/pod/results' };
    const html = renderListingPage({ route, kind: 'directory', subPath: route.subPath, view, query, links: new Links(route.canonicalPath, grant) });
    expect(html).not.toContain('<a href="/artifact-files/argo/workflows/wf/n1/outputs/results/">');
    const unescape = (v: string) => v.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const hrefs = [...html.matchAll(/href="([^"]+)"/g)].map((m) => unescape(m[1]));
    expect(hrefs.length).toBeGreaterThan(4);
    for (const h of hrefs) {
      const [path, qs] = h.split('?');
      expect(path.startsWith(route.canonicalPath)).toBe(true);
      const q = new URLSearchParams(qs);
      expect(() => verifyShare({ expires: grant.expires, signature: q.get('signature')! }, path, grant.secret, 1_900_000_000)).not.toThrow();
    }
  });

  it('links the raw archive on archive listings', () => {
    const root = parseArtifactPath('/artifact-files/argo/workflows/wf/n1/outputs/bundle/');
    const html = renderListingPage({ route: root, kind: 'archive', subPath: [], view: { ...view, nextCursor: undefined }, query, links: new Links(root.canonicalPath) });
    expect(html).toContain(`href="${root.canonicalPath}?download=raw"`);
    expect(html).not.toContain('download=zip');
  });
});

