// The streaming .tgz reader (shared/download/tgz.ts) on archives written the way Argo writes them
// (cli/upload/tgz.ts), by GNU tar (gnu and pax long names, './' prefixes) and generated on the fly:
// a member over 64 MiB flows with a bounded amount in flight, and the rest of an archive is never read.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTgzStream } from '../cli/upload/tgz';
import { listTgz, normalizeTarPath, openTgzMember, TgzError } from '../shared/download/tgz';

const KiB = 1024;
const MiB = 1024 * KiB;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'download-tgz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A lazy source over a buffer in small chunks that counts what was pulled from it. */
function chunkedSource(buf: Buffer, chunk = 4 * KiB): { stream: Readable; pulled: () => number } {
  let pos = 0;
  const stream = new Readable({
    highWaterMark: chunk,
    read() {
      if (pos >= buf.length) return void this.push(null);
      const end = Math.min(pos + chunk, buf.length);
      this.push(buf.subarray(pos, end));
      pos = end;
    },
  });
  return { stream, pulled: () => pos };
}

function gnuTar(args: string[], cwd: string): void {
  const r = spawnSync('tar', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')} failed: ${r.stderr}`);
}

/** /…/out with a.txt, empty.txt, link → a.txt, sub/b.bin (64 KiB random). */
async function makeOutDir(parent: string): Promise<{ path: string; a: Buffer; b: Buffer }> {
  const path = join(parent, 'out');
  await mkdir(join(path, 'sub'), { recursive: true });
  const a = Buffer.from('hello from a\n');
  const b = randomBytes(64 * KiB);
  await writeFile(join(path, 'a.txt'), a);
  await writeFile(join(path, 'empty.txt'), '');
  await writeFile(join(path, 'sub', 'b.bin'), b);
  await symlink('a.txt', join(path, 'link'));
  return { path, a, b };
}

describe('normalizeTarPath', () => {
  it('strips ./ and leading and trailing slashes', () => {
    expect(normalizeTarPath('./a/b.txt')).toBe('a/b.txt');
    expect(normalizeTarPath('/a/b.txt')).toBe('a/b.txt');
    expect(normalizeTarPath('.//./out/')).toBe('out');
    expect(normalizeTarPath('./')).toBe('');
    expect(normalizeTarPath('message')).toBe('message');
  });
});

describe('archives in Argo layout (cli/upload/tgz.ts)', () => {
  let tgz: Buffer;
  let files: { a: Buffer; b: Buffer };

  beforeAll(async () => {
    const parent = join(dir, 'argo');
    await mkdir(parent);
    const out = await makeOutDir(parent);
    files = out;
    tgz = await collect(createTgzStream(out.path));
  });

  it('lists a directory artifact as out/, out/a.txt, …', async () => {
    const members = await listTgz(Readable.from([tgz]));
    expect(members.map((m) => [m.name, m.type, m.size])).toEqual([
      ['out', 'directory', 0],
      ['out/a.txt', 'file', files.a.length],
      ['out/empty.txt', 'file', 0],
      ['out/link', 'symlink', 0],
      ['out/sub', 'directory', 0],
      ['out/sub/b.bin', 'file', files.b.length],
    ]);
    const link = members.find((m) => m.name === 'out/link')!;
    expect(link.linkname).toBe('a.txt');
    expect(members[1]!.mtime).toBeInstanceOf(Date);
    expect(members[1]!.mode! & 0o777).toBeGreaterThan(0);
  });

  it('lists a single-file artifact as its base name', async () => {
    const path = join(dir, 'message');
    await writeFile(path, 'hi there\n');
    const members = await listTgz(Readable.from([await collect(createTgzStream(path))]));
    expect(members).toEqual([expect.objectContaining({ name: 'message', type: 'file', size: 9 })]);
  });

  it('opens members by exact name and streams their bytes', async () => {
    for (const [name, want] of [
      ['out/a.txt', files.a],
      ['out/sub/b.bin', files.b],
      ['out/empty.txt', Buffer.alloc(0)],
      ['./out/a.txt', files.a],
      ['/out/sub/b.bin', files.b],
    ] as const) {
      const src = chunkedSource(tgz);
      const hit = await openTgzMember(src.stream, name);
      expect(hit, name).toBeDefined();
      expect(hit!.member).toMatchObject({ name: normalizeTarPath(name), type: 'file', size: want.length });
      expect((await collect(hit!.stream)).equals(want)).toBe(true);
      expect(src.stream.destroyed).toBe(true);
    }
  });

  it('answers undefined for a directory, a prefix, a missing name or the root, and destroys the source', async () => {
    for (const name of ['out', 'out/', 'out/sub', 'out/a', 'out/a.txt/x', 'nope', '', './']) {
      const src = chunkedSource(tgz);
      expect(await openTgzMember(src.stream, name), name).toBeUndefined();
      expect(src.stream.destroyed, name).toBe(true);
    }
  });

  it('opens a symlink member as its (empty) entry, with the link target', async () => {
    const hit = await openTgzMember(Readable.from([tgz]), 'out/link');
    expect(hit!.member).toMatchObject({ type: 'symlink', linkname: 'a.txt', size: 0 });
    expect((await collect(hit!.stream)).length).toBe(0);
  });
});

describe('archives made by GNU tar', () => {
  const longDir = `d-${'x'.repeat(90)}/e-${'y'.repeat(90)}`;
  const longName = `${longDir}/file-${'z'.repeat(120)}.txt`;
  let root: string;
  let a: Buffer;
  const longBody = Buffer.from('long name body\n');

  beforeAll(async () => {
    root = join(dir, 'gnu');
    const out = await makeOutDir(root);
    a = out.a;
    await mkdir(join(out.path, longDir), { recursive: true });
    await writeFile(join(out.path, longName), longBody);
  });

  it('strips the ./ prefix of `tar czf x.tgz -C dir .`', async () => {
    gnuTar(['czf', join(root, 'dot.tgz'), '-C', join(root, 'out'), '.'], root);
    const members = await listTgz(createReadStream(join(root, 'dot.tgz')));
    const names = members.map((m) => m.name);
    expect(names).toContain('a.txt');
    expect(names).toContain('sub/b.bin');
    expect(names).toContain(longName);
    expect(names).not.toContain('');
    expect(names.every((n) => !n.startsWith('.') && !n.startsWith('/') && !n.endsWith('/'))).toBe(true);
    const hit = await openTgzMember(createReadStream(join(root, 'dot.tgz')), 'a.txt');
    expect((await collect(hit!.stream)).equals(a)).toBe(true);
  });

  for (const format of ['gnu', 'oldgnu', 'pax']) {
    it(`handles long names (--format=${format})`, async () => {
      const file = join(root, `long-${format}.tgz`);
      gnuTar([`--format=${format}`, '-czf', file, 'out'], root);
      const members = await listTgz(createReadStream(file));
      expect(members.map((m) => m.name)).toContain(`out/${longName}`);
      expect(members.find((m) => m.name === 'out/sub')?.type).toBe('directory');
      const hit = await openTgzMember(createReadStream(file), `out/${longName}`);
      expect(hit!.member.size).toBe(longBody.length);
      expect((await collect(hit!.stream)).equals(longBody)).toBe(true);
    });
  }

  it('handles a long name written by tar-stream (Argo layout via cli/upload/tgz.ts)', async () => {
    const tgz = await collect(createTgzStream(join(root, 'out')));
    const hit = await openTgzMember(Readable.from([tgz]), `out/${longName}`);
    expect((await collect(hit!.stream)).equals(longBody)).toBe(true);
  });
});

/** Deterministic incompressible bytes, generated lazily; reports how much was produced. */
function generated(size: number, seed: number): { stream: Readable; produced: () => number; sha256: () => string } {
  let produced = 0;
  let x = seed >>> 0 || 1;
  const hash = createHash('sha256');
  const stream = new Readable({
    highWaterMark: 256 * KiB,
    read() {
      if (produced >= size) return void this.push(null);
      const n = Math.min(256 * KiB, size - produced);
      const buf = Buffer.allocUnsafe(n);
      for (let i = 0; i + 4 <= n; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        buf.writeUInt32LE(x >>> 0, i);
      }
      for (let i = n - (n % 4); i < n; i++) buf[i] = i & 0xff;
      produced += n;
      hash.update(buf);
      this.push(buf);
    },
  });
  return { stream, produced: () => produced, sha256: () => hash.digest('hex') };
}

/** A .tgz produced on the fly from generated members; nothing is held whole. */
function streamedArchive(entries: Array<{ name: string; size: number; seed: number }>) {
  const pack = tarPack();
  const bodies = entries.map((e) => generated(e.size, e.seed));
  (async () => {
    for (const [i, e] of entries.entries()) {
      await new Promise<void>((resolve, reject) => {
        const sink = pack.entry({ name: e.name, size: e.size, type: 'file', mode: 0o644 }, (err) => (err ? reject(err) : resolve()));
        pipeline(bodies[i]!.stream, sink as unknown as NodeJS.WritableStream).catch(reject);
      });
    }
    pack.finalize();
  })().catch((err: Error) => (pack as unknown as Readable).destroy(err));
  // Level 1 on random bytes: output ≈ input, so source bytes compare to member bytes.
  const gzip = createGzip({ level: 1 });
  (pack as unknown as Readable).pipe(gzip);
  let pulled = 0;
  const source = gzip.pipe(
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        pulled += chunk.length;
        cb(null, chunk);
      },
    }),
  );
  return { source, bodies, pulled: () => pulled };
}

describe('large members and early stop', () => {
  it('streams a 72 MiB member with a bounded amount in flight, then stops reading the archive', async () => {
    const size = 72 * MiB + 123;
    const a = streamedArchive([
      { name: 'out/small.txt', size: 1000, seed: 1 },
      { name: 'out/big.bin', size, seed: 2 },
      { name: 'out/after.bin', size: 48 * MiB, seed: 3 },
    ]);
    const hit = await openTgzMember(a.source, './out/big.bin');
    expect(hit!.member).toMatchObject({ name: 'out/big.bin', size, type: 'file' });
    const hash = createHash('sha256');
    let got = 0;
    let maxInFlight = 0;
    let nextPause = 0;
    for await (const chunk of hit!.stream) {
      got += (chunk as Buffer).length;
      hash.update(chunk as Buffer);
      // What the reader has taken from the source but not yet handed to us.
      maxInFlight = Math.max(maxInFlight, a.pulled() - got);
      if (got >= nextPause) {
        // A slow consumer: give the source every chance to overrun us.
        nextPause += 8 * MiB;
        await new Promise((r) => setTimeout(r, 20));
        maxInFlight = Math.max(maxInFlight, a.pulled() - got);
      }
    }
    expect(got).toBe(size);
    expect(hash.digest('hex')).toBe(a.bodies[1]!.sha256());
    expect(maxInFlight).toBeLessThan(4 * MiB);
    expect(a.source.destroyed).toBe(true);
    // The member after it was (almost) never generated: the archive's rest was not read.
    expect(a.bodies[2]!.produced()).toBeLessThan(4 * MiB);
  }, 60_000);

  it('stops reading the source when the consumer destroys the member stream', async () => {
    const a = streamedArchive([{ name: 'big.bin', size: 32 * MiB, seed: 4 }]);
    const hit = await openTgzMember(a.source, 'big.bin');
    const it = hit!.stream[Symbol.asyncIterator]();
    await it.next();
    hit!.stream.destroy();
    await new Promise((r) => setImmediate(r));
    expect(a.source.destroyed).toBe(true);
    expect(a.bodies[0]!.produced()).toBeLessThan(8 * MiB);
  });

  it('does not read past a small member (source destroyed after it)', async () => {
    const parent = join(dir, 'early');
    await mkdir(parent);
    await writeFile(join(parent, 'first.txt'), 'first\n');
    await writeFile(join(parent, 'second.bin'), randomBytes(2 * MiB));
    const file = join(parent, 'a.tgz');
    gnuTar(['czf', file, 'first.txt', 'second.bin'], parent);
    const { readFile } = await import('node:fs/promises');
    const tgz = await readFile(file);
    const src = chunkedSource(tgz);
    const hit = await openTgzMember(src.stream, 'first.txt');
    expect((await collect(hit!.stream)).toString()).toBe('first\n');
    expect(src.stream.destroyed).toBe(true);
    expect(src.pulled()).toBeLessThan(256 * KiB);
    // Listing reads everything.
    const all = chunkedSource(tgz);
    expect((await listTgz(all.stream)).map((m) => m.name)).toEqual(['first.txt', 'second.bin']);
    expect(all.pulled()).toBe(tgz.length);
  });
});

describe('errors', () => {
  it('rejects corrupt gzip with TgzError InvalidArchive', async () => {
    const junk = randomBytes(64 * KiB);
    await expect(listTgz(Readable.from([junk]))).rejects.toMatchObject({ name: 'TgzError', code: 'InvalidArchive' });
    const src = Readable.from([junk]);
    await expect(openTgzMember(src, 'a')).rejects.toBeInstanceOf(TgzError);
    expect(src.destroyed).toBe(true);
  });

  it('rejects gzip that is not a tar', async () => {
    await expect(listTgz(Readable.from([gzipSync(Buffer.alloc(4096, 'x'))]))).rejects.toMatchObject({ code: 'InvalidArchive' });
  });

  it('rejects a truncated archive, and errors a member cut short', async () => {
    const a = streamedArchive([{ name: 'm.bin', size: 4 * MiB, seed: 5 }]);
    const full = await collect(a.source);
    const cut = full.subarray(0, 2 * MiB);
    await expect(listTgz(Readable.from([cut]))).rejects.toMatchObject({ code: 'InvalidArchive' });
    const hit = await openTgzMember(chunkedSource(cut).stream, 'm.bin');
    await expect(collect(hit!.stream)).rejects.toMatchObject({ code: 'InvalidArchive' });
  });

  it('errors a member whose tar ends early inside a well-formed gzip stream', async () => {
    const pack = tarPack();
    pack.entry({ name: 'm.bin', size: 300 * KiB }, randomBytes(300 * KiB));
    pack.finalize();
    const tar = await collect(pack as unknown as Readable);
    const cut = gzipSync(tar.subarray(0, 100 * KiB)); // valid gzip, tar cut mid-member
    await expect(listTgz(Readable.from([cut]))).rejects.toMatchObject({ code: 'InvalidArchive' });
    const hit = await openTgzMember(Readable.from([cut]), 'm.bin');
    await expect(collect(hit!.stream)).rejects.toMatchObject({ code: 'InvalidArchive' });
  });

  it('passes a source error through to the member stream unchanged', async () => {
    const a = streamedArchive([{ name: 'm.bin', size: 4 * MiB, seed: 6 }]);
    const full = await collect(a.source);
    const boom = new Error('upstream reset');
    let sent = 0;
    const src = new Readable({
      read() {
        if (sent >= MiB) return void this.destroy(boom);
        this.push(full.subarray(sent, sent + 64 * KiB));
        sent += 64 * KiB;
      },
    });
    const hit = await openTgzMember(src, 'm.bin');
    await expect(collect(hit!.stream)).rejects.toBe(boom);
  });

  it('stops past maxEntries with TooManyEntries', async () => {
    const pack = tarPack();
    for (let i = 0; i < 20; i++) pack.entry({ name: `f${i}` }, 'x');
    pack.finalize();
    const tgz = await collect((pack as unknown as Readable).pipe(createGzip()));
    expect(await listTgz(Readable.from([tgz]), { maxEntries: 20 })).toHaveLength(20);
    const src = Readable.from([tgz]);
    await expect(listTgz(src, { maxEntries: 19 })).rejects.toMatchObject({ code: 'TooManyEntries', message: expect.stringContaining('19') });
    expect(src.destroyed).toBe(true);
  });

  it('stops past maxBytes decompressed with TooLarge, for listings and members; a member that fits is never cut', async () => {
    const pack = tarPack();
    pack.entry({ name: 'small.txt' }, 'small');
    pack.entry({ name: 'zeros.bin' }, Buffer.alloc(4 * MiB));
    pack.entry({ name: 'after.txt' }, 'after');
    pack.finalize();
    const tgz = await collect((pack as unknown as Readable).pipe(createGzip()));
    expect(tgz.length).toBeLessThan(64 * KiB);
    const src = Readable.from([tgz]);
    await expect(listTgz(src, { maxBytes: MiB })).rejects.toMatchObject({ code: 'TooLarge', message: expect.stringContaining(String(MiB)) });
    expect(src.destroyed).toBe(true);
    expect(await listTgz(Readable.from([tgz]), { maxBytes: 5 * MiB })).toHaveLength(3);
    await expect(openTgzMember(Readable.from([tgz]), 'zeros.bin', { maxBytes: 4 * MiB })).rejects.toMatchObject({ code: 'TooLarge' });
    await expect(openTgzMember(Readable.from([tgz]), 'after.txt', { maxBytes: MiB })).rejects.toMatchObject({ code: 'TooLarge' });
    const fits = await openTgzMember(Readable.from([tgz]), 'zeros.bin', { maxBytes: 4 * MiB + 256 * KiB });
    expect((await collect(fits!.stream)).length).toBe(4 * MiB);
    expect((await collect((await openTgzMember(Readable.from([tgz]), 'small.txt', { maxBytes: MiB }))!.stream)).toString()).toBe('small');
  });

  it('a member behind more than maxEntries entries → TooManyEntries', async () => {
    const pack = tarPack();
    for (let i = 0; i < 20; i++) pack.entry({ name: `f${i}` }, 'x');
    pack.finalize();
    const tgz = await collect((pack as unknown as Readable).pipe(createGzip()));
    await expect(openTgzMember(Readable.from([tgz]), 'f19', { maxEntries: 18 })).rejects.toMatchObject({ code: 'TooManyEntries' });
    expect((await collect((await openTgzMember(Readable.from([tgz]), 'f19', { maxEntries: 19 }))!.stream)).toString()).toBe('x');
  });

  it('honours an AbortSignal before and after the member is found', async () => {
    const ctl = new AbortController();
    ctl.abort(new Error('client left'));
    await expect(listTgz(generated(MiB, 7).stream, { signal: ctl.signal })).rejects.toThrow('client left');

    const a = streamedArchive([{ name: 'm.bin', size: 16 * MiB, seed: 8 }]);
    const ctl2 = new AbortController();
    const hit = await openTgzMember(a.source, 'm.bin', { signal: ctl2.signal });
    const it = hit!.stream[Symbol.asyncIterator]();
    await it.next();
    ctl2.abort(new Error('gone'));
    const drain = async (): Promise<void> => {
      while (!(await it.next()).done);
    };
    await expect(drain()).rejects.toThrow('gone');
    expect(a.source.destroyed).toBe(true);
  });
});
