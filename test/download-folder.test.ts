// "Download folder": a directory artifact streamed as .zip or .tar.gz built on the fly. Unit: 1,000
// entries come out byte-exact (read back by an independent zip reader, and by tar-stream after
// gunzip), entries are opened one at a time, a failure midway errors the stream and stops reading.
// Through the local stack: the archive over HTTP, the caps' clear 413, a storage failure midway that
// cuts the connection, a share link that reaches the folder download, and a user without access.
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tgzStream, zipStream, type FolderEntry, type OpenEntry } from '../shared/download/browser/folder-archive';
import { artifact, startDownloadFixture, TOKENS, workflow, type DownloadFixture } from './helpers/download';
import { readZip } from './helpers/zip';

async function collect(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function untar(tgz: Buffer): Promise<Map<string, { type: string; data: Buffer }>> {
  const out = new Map<string, { type: string; data: Buffer }>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.set(h.name, { type: h.type ?? 'file', data: Buffer.concat(chunks) });
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(gunzipSync(tgz));
  await done;
  return out;
}

const when = new Date('2024-05-01T12:00:00Z');

function thousand(): { entries: FolderEntry[]; bodies: Map<string, Buffer> } {
  const entries: FolderEntry[] = [];
  const bodies = new Map<string, Buffer>();
  for (let i = 0; i < 1000; i++) {
    const dir = `d${i % 7}/${i % 3 === 0 ? 'deep/' : ''}`;
    const ext = i % 10 === 0 ? 'png' : i % 10 === 1 ? 'csv' : 'bin';
    const path = `${dir}f-${String(i).padStart(4, '0')} é.${ext}`;
    const size = i % 50 === 0 ? 0 : (i * 7919) % 20_000;
    const body = i % 2 ? randomBytes(size) : Buffer.from('abc\n'.repeat(size).slice(0, size));
    entries.push({ path, key: `k/${path}`, size, etag: `"${i}"`, lastModified: when });
    bodies.set(path, body);
  }
  entries.push({ path: 'empty-dir/', key: 'k/empty-dir/', size: 0, etag: '"d"', lastModified: when });
  return { entries, bodies };
}

/** An opener over in-memory bodies that counts opens and streams in small chunks. */
function opener(bodies: Map<string, Buffer>, failAt?: { path: string; after: number }) {
  const state = { opened: 0, open: 0, maxOpen: 0, destroyed: 0 };
  const open: OpenEntry = async (e) => {
    state.opened++;
    state.open++;
    state.maxOpen = Math.max(state.maxOpen, state.open);
    const body = bodies.get(e.path)!;
    const s = new PassThrough();
    s.once('close', () => state.open--);
    let i = 0;
    const step = () => {
      if (s.destroyed) return;
      if (failAt && failAt.path === e.path && i >= failAt.after) return void s.destroy(new Error('storage failed midway'));
      if (i >= body.length) return void s.end();
      const chunk = body.subarray(i, i + 4096);
      i += chunk.length;
      if (s.write(chunk)) setImmediate(step);
      else s.once('drain', step);
    };
    s.on('close', () => {
      if (i < body.length) state.destroyed++;
    });
    setImmediate(step);
    return s;
  };
  return { open, state };
}

describe('folder archive streams', () => {
  it('zips 1,000 entries byte-exact, opening one entry at a time', async () => {
    const { entries, bodies } = thousand();
    const { open, state } = opener(bodies);
    const zip = await collect(zipStream(entries, 'results', open));
    const read = readZip(zip);
    expect(read).toHaveLength(1001);
    for (const e of read) {
      if (e.dir) {
        expect(e.name).toBe('results/empty-dir/');
        continue;
      }
      const path = e.name.slice('results/'.length);
      expect(e.data.equals(bodies.get(path)!), path).toBe(true);
      // Already-compressed types are stored, the rest deflated (empty files stored).
      expect(e.method, path).toBe(path.endsWith('.png') || bodies.get(path)!.length === 0 ? 0 : 8);
    }
    expect(read.map((e) => e.name)).toEqual(entries.map((e) => `results/${e.path}`));
    expect(state.opened).toBe(1000);
    expect(state.maxOpen).toBe(1);
  });

  it('tars and gzips 1,000 entries byte-exact, in order, one entry at a time', async () => {
    const { entries, bodies } = thousand();
    const { open, state } = opener(bodies);
    const files = await untar(await collect(tgzStream(entries, 'results', open)));
    expect([...files.keys()]).toEqual(entries.map((e) => `results/${e.path}`));
    for (const e of entries) {
      const got = files.get(`results/${e.path}`)!;
      if (e.path.endsWith('/')) expect(got.type).toBe('directory');
      else expect(got.data.equals(bodies.get(e.path)!), e.path).toBe(true);
    }
    expect(state.maxOpen).toBe(1);
  });

  for (const format of ['zip', 'tgz'] as const) {
    it(`${format}: a failure midway errors the stream, and no later entry is opened`, async () => {
      const { entries, bodies } = thousand();
      const victim = entries.find((e, i) => i > 400 && bodies.get(e.path)!.length > 10_000)!;
      const { open, state } = opener(bodies, { path: victim.path, after: 8192 });
      const s = format === 'zip' ? zipStream(entries, 'results', open) : tgzStream(entries, 'results', open);
      await expect(collect(s)).rejects.toThrow(/storage failed midway/);
      expect(state.opened).toBe(entries.indexOf(victim) + 1);
      expect(state.open).toBe(0);
    });

    it(`${format}: a consumer that leaves stops the entry being read`, async () => {
      const { entries, bodies } = thousand();
      const { open, state } = opener(bodies);
      const s = format === 'zip' ? zipStream(entries, 'results', open) : tgzStream(entries, 'results', open);
      let seen = 0;
      await new Promise<void>((resolve) => {
        s.on('data', (c: Buffer) => {
          seen += c.length;
          if (seen > 200_000) {
            s.destroy();
            resolve();
          }
        });
      });
      await new Promise((r) => (s.closed ? r(undefined) : s.once('close', r)));
      await new Promise((r) => setImmediate(r)); // the entry's own 'close' follows on the next tick
      expect(state.open).toBe(0);
      expect(state.opened).toBeLessThan(1000);
    });
  }
});

describe('Download folder through the download function', () => {
  const SECRET = 'folder-share-secret-0123456789abcdef-xyz';
  const WF = 'folder-wf';
  const NODE = 'folder-wf-1';
  const base = `/artifact-files/argo/workflows/${WF}/${NODE}/outputs`;
  let d: DownloadFixture;
  let capped: DownloadFixture;
  const files = new Map<string, Buffer>();

  beforeAll(async () => {
    const env = { ARGO_OSS_SHARE_SECRET: SECRET };
    d = await startDownloadFixture({ env });
    capped = await startDownloadFixture({ env: { ...env, ARGO_OSS_FOLDER_DOWNLOAD_MAX_ENTRIES: '5', ARGO_OSS_FOLDER_DOWNLOAD_MAX_BYTES: '2MiB' } });
    for (let i = 0; i < 40; i++) files.set(`${i % 4 ? 'sub/' : ''}file-${i}.txt`, randomBytes(1000 + i * 997));
    files.set('big.bin', randomBytes(3 * 1024 * 1024));
    for (const f of [d, capped]) {
      await f.kube.writeWorkflow(workflow(WF, { [NODE]: { outputs: [artifact('results', `${WF}/pod/results`, { archive: { none: {} } })] } }));
      await f.putMany([...files].map(([p, b]) => [`${WF}/pod/results/${p}`, b]));
    }
  }, 120_000);

  afterAll(async () => {
    await d?.close();
    await capped?.close();
  });

  it('streams the folder as a .zip and as a .tar.gz with their file names', async () => {
    const zip = await d.request(`${base}/results/?download=zip`, { token: TOKENS.alice });
    expect(zip.status).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    expect(zip.headers['content-disposition']).toContain('filename="results.zip"');
    expect(zip.headers['x-content-type-options']).toBe('nosniff');
    const entries = readZip(zip.body);
    expect(entries.map((e) => e.name).sort()).toEqual([...files.keys()].map((p) => `results/${p}`).sort());
    for (const e of entries) expect(e.data.equals(files.get(e.name.slice('results/'.length))!), e.name).toBe(true);

    const tgz = await d.request(`${base}/results/sub/?download=tgz`, { token: TOKENS.alice });
    expect(tgz.status).toBe(200);
    expect(tgz.headers['content-disposition']).toContain('filename="sub.tar.gz"');
    const got = await untar(tgz.body);
    const want = [...files].filter(([p]) => p.startsWith('sub/'));
    expect(got.size).toBe(want.length);
    for (const [p, b] of want) expect(got.get(p)?.data.equals(b), p).toBe(true);
  });

  it('answers a clear 413 past the caps, before any byte', async () => {
    const files = await capped.request(`${base}/results/sub/?download=zip`, { token: TOKENS.alice }); // 30 small files
    expect(files.status).toBe(413);
    const err = JSON.parse(files.body.toString()).error;
    expect(err.code).toBe('FolderTooLarge');
    expect(err.message).toMatch(/too large to download as one archive: more than 5 files/);
    expect(err.message).toMatch(/ARGO_OSS_FOLDER_DOWNLOAD_MAX_ENTRIES/);
    const bytes = await capped.request(`${base}/results/?download=tgz`, { token: TOKENS.alice }); // big.bin, 3 MiB, comes first
    expect(bytes.status).toBe(413);
    expect(JSON.parse(bytes.body.toString()).error.message).toMatch(/more than 2\.0 MiB/);
  });

  it('cuts the connection when OSS fails midway', async () => {
    await d.ossServer.admin('POST', '/faults', { match: { operation: 'GetObject', key: `${WF}/pod/results/big.bin` }, resetAfterBytes: 1024 * 1024, direction: 'response' });
    try {
      const r = await d.stream(`${base}/results/?download=zip`, { token: TOKENS.alice });
      expect(r.status).toBe(200);
      expect(r.complete).toBe(false);
    } finally {
      await d.ossServer.admin('DELETE', '/faults');
    }
  });

  it('a user without access gets 403, whatever the format', async () => {
    for (const q of ['zip', 'tgz']) {
      const r = await d.request(`${base}/results/?download=${q}`, { token: TOKENS.bob });
      expect(r.status).toBe(403);
      expect(r.body.toString()).not.toContain('file-');
    }
    expect((await d.request(`${base}/results/?download=zip`)).status).toBe(401);
  });

  it('a share link of the folder reaches its download, and no other folder', async () => {
    const made = await d.request('/share', { token: TOKENS.alice, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: `${base}/results/sub/` }) });
    expect(made.status).toBe(201);
    const { path } = JSON.parse(made.body.toString()) as { path: string };
    const [p, q] = path.split('?');
    const zip = await d.request(`${p}?download=zip&${q}`);
    expect(zip.status).toBe(200);
    expect(readZip(zip.body).length).toBe(30);
    // The same signature on the parent folder is refused.
    const parent = await d.request(`${base}/results/?download=zip&${q}`);
    expect(parent.status).toBe(403);
  });
});
