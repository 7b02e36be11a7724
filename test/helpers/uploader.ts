// Helpers for the uploader tests: read a .tgz back into entries (tar-stream + node:zlib), and a
// proxy that corrupts request bodies on their way to the OSS server.
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';

export interface TarEntry {
  name: string;
  type: string;
  linkname?: string;
  mode: number;
  data: Buffer;
}

/** All entries of a tar+gzip, in archive order (directories keep their trailing "/"). */
export async function extractTgz(tgz: Buffer | Readable): Promise<TarEntry[]> {
  const source = Buffer.isBuffer(tgz) ? Readable.from([tgz]) : tgz;
  const ex = extract();
  source.pipe(createGunzip()).pipe(ex as unknown as NodeJS.WritableStream);
  const entries: TarEntry[] = [];
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    const h = entry.header;
    entries.push({ name: h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name, type: h.type, linkname: h.linkname || undefined, mode: h.mode, data: Buffer.concat(chunks) });
  }
  return entries;
}

export interface CorruptingProxy {
  port: number;
  url: string;
  /** Request bodies damaged so far. */
  corrupted(): number;
  close(): Promise<void>;
}

/**
 * A forwarding HTTP proxy to 127.0.0.1:targetPort that flips one byte (offset 1000) in the body of
 * the first `count` requests `shouldCorrupt` selects; everything else passes through untouched.
 * OSS then stores damaged bytes and reports their CRC-64 — a wire corruption the uploader must catch.
 */
export async function startCorruptingProxy(
  targetPort: number,
  opts: { count?: number; shouldCorrupt?: (req: IncomingMessage) => boolean } = {},
): Promise<CorruptingProxy> {
  let remaining = opts.count ?? Infinity;
  let done = 0;
  const server = createServer((req, res) => {
    const corrupt = remaining > 0 && req.method === 'PUT' && (opts.shouldCorrupt?.(req) ?? true);
    if (corrupt) remaining--;
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: { ...req.headers, host: `localhost:${targetPort}` } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      if (corrupt && seen <= 1000 && seen + chunk.length > 1000) {
        chunk[1000 - seen] ^= 0xff;
        done++;
      }
      seen += chunk.length;
      upstream.write(chunk);
    });
    req.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://localhost:${port}`,
    corrupted: () => done,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
