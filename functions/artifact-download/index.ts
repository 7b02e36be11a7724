// FC 3.0 web function (custom runtime): a Node http server on FC_CUSTOM_LISTEN_PORT (9000) serving the
// artifact download app. FC passes HTTP-trigger and custom-domain requests through unchanged and
// streams chunked responses. Run as the entry (`node index.js`) it starts listening; imported (tests,
// the build's load check) it only exports startDownloadServer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, listenPort, loadConfig, startupWarnings, type Env } from '../../shared/config';
import { createDownloadAppFromConfig, type DownloadApp } from '../../shared/download/app';
import { fcCredentialUpdater, fcHeaderCredentials } from '../../shared/http/fc';
import { REQUEST_TIMEOUTS } from '../../shared/http/node';
import { createOssClientFromConfig, type OssClient } from '../../shared/oss';

export interface DownloadServerOptions {
  /** Default process.env. */
  env?: Env;
  /** Default FC_CUSTOM_LISTEN_PORT (FC 3.0), else FC_SERVER_PORT (the fc3 local emulator), else 9000. */
  port?: number;
  /** Default 0.0.0.0 (FC reaches the process from outside its network namespace). */
  host?: string;
  log?: (line: string) => void;
}

export interface RunningDownloadServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

function configErrorHandler(err: ConfigError): (req: IncomingMessage, res: ServerResponse) => void {
  // Names the variables and why, never their values (ConfigError does not echo secrets).
  const body = JSON.stringify({ error: { code: 'ConfigError', message: err.message } });
  return (_req, res) => {
    res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  };
}

export async function startDownloadServer(options: DownloadServerOptions = {}): Promise<RunningDownloadServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));
  let app: DownloadApp | undefined;
  let oss: OssClient | undefined;
  let listener: (req: IncomingMessage, res: ServerResponse) => void;
  let port = options.port;
  try {
    const config = loadConfig(env);
    for (const w of startupWarnings(config)) log(w);
    port ??= config.listenPort;
    const inFc = config.fcRegion !== undefined;
    // Inside FC without role credentials in the environment (custom.debian10 passes them per request
    // only), the client starts with placeholders that the first request's x-fc-* headers replace.
    const envCredentials = config.alibabaCloudAccessKeyId !== undefined || config.ossAccessKeyId !== undefined;
    oss = createOssClientFromConfig(config, { maxSockets: 256, ...(inFc && !envCredentials ? { credentials: { accessKeyId: 'pending', accessKeySecret: 'pending' } } : {}) });
    // FC strips Content-Length and streams only chunked responses: inside FC, bodies go out chunked.
    const created = createDownloadAppFromConfig(config, { oss, omitContentLength: inFc, log });
    app = created;
    // Inside FC a custom runtime gets the role's STS credentials per request in x-fc-* headers, fresher
    // than the environment's on a long-lived instance. FC owns that header namespace there; elsewhere a
    // client could send them, so they are trusted only when FC_REGION says we run in FC.
    const useCredentials = fcCredentialUpdater(created.oss);
    listener = (req, res) => {
      if (inFc) useCredentials(fcHeaderCredentials(req.headers));
      void created.handle(req, res);
    };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log(err.message);
    port ??= listenPort(env);
    listener = configErrorHandler(err);
  }
  // Deadlines for receiving requests only (a download may stream for hours; sending has none); idle
  // keep-alive longer than FC's front end keeps it.
  const server = createServer({ ...REQUEST_TIMEOUTS, keepAliveTimeout: 65_000 }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    port: actual,
    url: `http://localhost:${actual}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        app?.close();
        oss?.close();
      }),
  };
}

// `node index.js` (the FC start command): listen until FC stops the instance. `require.main` is only
// defined in the CommonJS bundle; under tsx/vitest (ESM) `require` does not exist.
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) {
  startDownloadServer().then(
    (s) => {
      console.error(`artifact-download listening on :${s.port}`);
      const stop = () => void s.close().then(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
    (err: Error) => {
      console.error(err.stack ?? err.message);
      process.exit(1);
    },
  );
}
