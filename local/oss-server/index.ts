// OSS-compatible HTTP server backed by the filesystem: the default storage of the local stack and
// of integration tests. Speaks the OSS REST protocol to unmodified clients (ali-oss, OSS Go SDK).
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { LOCAL_DEFAULT_CREDENTIALS, LOCAL_DEFAULT_REGION } from '../defaults';
import type { Credential } from './auth';
import { OssError } from './errors';
import { FaultRegistry, validateFaultSpec } from './faults';
import { createHandler } from './handler';
import { newRequestId } from './ids';
import { Store } from './store';
import { errorXml } from './xml';

export type { Credential } from './auth';
export type { FaultSpec } from './faults';
export type { LifecycleReport } from './lifecycle';

export interface OssServerOptions {
  host?: string; // default 127.0.0.1
  port?: number; // 0 = ephemeral
  dataDir: string; // created if missing; survives restarts (objects, uploads, lifecycle, tags persist)
  buckets?: string[]; // created at start if missing
  credentials?: Credential[]; // default: [LOCAL_DEFAULT_CREDENTIALS]
  region?: string; // default LOCAL_DEFAULT_REGION (V4 credential scope must match)
  minPartSize?: number; // default 102400 (100 KB); tests may lower it
  log?: (line: string) => void; // one line per request, optional
}

export interface RunningOssServer {
  url: string; // http://127.0.0.1:PORT
  host: string;
  port: number;
  close(): Promise<void>;
}

const DEFAULT_MIN_PART_SIZE = 100 * 1024;
const MAX_OBJECT_SIZE = 5 * 1024 ** 3;

/** Faults from ARGO_OSS_FAULTS (a JSON array); a malformed value stops the start. */
function envFaults(registry: FaultRegistry): void {
  const raw = process.env.ARGO_OSS_FAULTS;
  if (!raw || !raw.trim()) return;
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw new Error('ARGO_OSS_FAULTS is not valid JSON');
  }
  if (!Array.isArray(list)) throw new Error('ARGO_OSS_FAULTS must be a JSON array of faults');
  list.forEach((spec, i) => {
    try {
      registry.add(validateFaultSpec(spec));
    } catch (err) {
      throw new Error(`ARGO_OSS_FAULTS[${i}]: ${(err as Error).message}`);
    }
  });
}

export async function startOssServer(opts: OssServerOptions): Promise<RunningOssServer> {
  const store = await Store.open(opts.dataDir);
  for (const b of opts.buckets ?? []) await store.createBucket(b);
  const faults = new FaultRegistry();
  envFaults(faults);
  const credentials = new Map<string, Credential>();
  for (const c of opts.credentials ?? [LOCAL_DEFAULT_CREDENTIALS]) credentials.set(c.accessKeyId, c);

  const handler = createHandler({
    store,
    faults,
    credentials,
    log: opts.log,
    config: {
      region: opts.region ?? LOCAL_DEFAULT_REGION,
      minPartSize: opts.minPartSize ?? DEFAULT_MIN_PART_SIZE,
      maxObjectSize: MAX_OBJECT_SIZE,
    },
  });
  const server: Server = createServer(
    {
      // Large uploads may take long: no overall request deadline; idle keep-alive sockets are
      // kept longer than client agents keep them, so clients never reuse a socket we are closing.
      requestTimeout: 0,
      keepAliveTimeout: 65_000,
      highWaterMark: 1 << 20,
    },
    handler,
  );
  // Unparseable requests never reach the handler; answer them in the OSS shape anyway.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const requestId = newRequestId();
    const body = errorXml(new OssError('InvalidRequest', `Malformed HTTP request (${err.code ?? 'parse error'}).`, {}, 400), requestId, 'localhost');
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nx-oss-request-id: ${requestId}\r\nServer: AliyunOSS\r\nDate: ${new Date().toUTCString()}\r\n` +
        `Content-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    // Idempotent; in-flight requests are cut (their temp files are removed by their handlers).
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        for (const s of sockets) s.destroy();
      })),
  };
}
