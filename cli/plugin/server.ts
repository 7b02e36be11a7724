// The gRPC server of the artifact-driver plugin on a Unix socket: binds, answers Argo's calls, and
// shuts down on request — new calls refused, calls in flight given a grace period, then cancelled.
import { Server, ServerCredentials, status, type sendUnaryData, type ServerDuplexStream, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { setMaxListeners } from 'node:events';
import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { formatBytes } from '../upload/size';
import { callContext, Code, PluginError, type CallContext } from './context';
import { artifactServiceDefinition } from './proto';
import type {
  Artifact,
  ArtifactRequest,
  GetCapabilitiesResponse,
  IsDirectoryResponse,
  ListObjectsResponse,
  LoadArtifactRequest,
  OpenStreamResponse,
  SaveArtifactRequest,
  SaveStreamArtifactRequest,
  SuccessResponse,
} from './proto';
import { deleteArtifact, isDirectory, listObjects, load, openObjectStream, openStreamTarget } from './read';
import { save, saveStream } from './save';

/** OpenStream frame size: well under the 4 MiB a default gRPC client accepts. */
export const FRAME_BYTES = 1024 * 1024;
/** OpenStream frames handed to gRPC and not yet taken by the transport. */
const FRAME_WINDOW = 2;
/** On shutdown, calls in flight get this long to finish before they are cancelled. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export interface PluginServerOptions {
  /** The socket path (Argo passes a plain path; `unix://` and `unix:` prefixes are accepted). */
  socket: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface PluginServer {
  /** Absolute path of the socket. */
  socketPath: string;
  /** Calls in flight. */
  inflight(): number;
  /** Stops: refuses new calls, waits up to graceMs for calls in flight, cancels the rest, removes the socket. */
  close(graceMs?: number): Promise<void>;
}

/** `unix:///a/b`, `unix:/a/b`, `unix:a/b` or a plain path → an absolute path. */
export function socketPathOf(arg: string): string {
  const path = arg.startsWith('unix://') ? arg.slice('unix://'.length) : arg.startsWith('unix:') ? arg.slice('unix:'.length) : arg;
  if (path === '') throw new PluginError('the socket path is empty', Code.INVALID_ARGUMENT);
  return resolve(path);
}

/** Creates the socket's directory (Argo may start us before it does) and removes a stale socket. */
async function prepareSocket(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!st) return;
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  await rm(path, { force: true });
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));
const grpcCode = (err: unknown) => (err instanceof PluginError ? err.code : status.INTERNAL);

export async function startPluginServer(options: PluginServerOptions): Promise<PluginServer> {
  const socketPath = socketPathOf(options.socket);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = options.env ?? process.env;
  const calls = new Set<AbortController>();
  let closing = false;

  /** Runs one call with its own abort signal (cancelled by the client or by shutdown). */
  const track = async <T>(onCancel: (listener: () => void) => void, fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const controller = new AbortController();
    setMaxListeners(64, controller.signal);
    calls.add(controller);
    onCancel(() => controller.abort(new PluginError('the client cancelled the call', status.CANCELLED)));
    try {
      if (closing) throw new PluginError('the plugin is shutting down', Code.UNAVAILABLE);
      return await fn(controller.signal);
    } finally {
      calls.delete(controller);
    }
  };
  const contextFor = (artifact: Artifact | null | undefined, field: string, signal: AbortSignal): CallContext => callContext(artifact, field, { env, signal, log });

  /** Load, Save, Delete: { success, error } — Argo logs `plugin <name> <op> failed: <error>`. */
  const successCall =
    <R>(op: string, run: (request: R, signal: AbortSignal) => Promise<string>) =>
    (call: ServerUnaryCall<R, SuccessResponse>, callback: sendUnaryData<SuccessResponse>) => {
      const started = Date.now();
      track((l) => call.once('cancelled', l), (signal) => run(call.request, signal)).then(
        (summary) => {
          log(`${op} ${summary} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          callback(null, { success: true, error: '' });
        },
        (err: unknown) => {
          log(`${op} failed: ${describe(err)}`);
          callback(null, { success: false, error: describe(err) });
        },
      );
    };

  const handlers = {
    Save: successCall<SaveArtifactRequest>('Save', async (req, signal) => {
      const ctx = contextFor(req.output_artifact, 'output_artifact', signal);
      const r = await save(ctx, req.path, { signal, log });
      return `${req.path} → ${ctx.key}${r.directory ? `/ (${r.objects} files)` : ''}: ${formatBytes(r.bytes)}${r.resumedParts ? `, ${r.resumedParts} parts resumed` : ''}`;
    }),
    Load: successCall<LoadArtifactRequest>('Load', async (req, signal) => {
      const ctx = contextFor(req.input_artifact, 'input_artifact', signal);
      const r = await load(ctx, req.path, { signal, log });
      return `${ctx.key} → ${req.path}: ${r.objects === 1 ? '' : `${r.objects} files, `}${formatBytes(r.bytes)}`;
    }),
    Delete: successCall<ArtifactRequest>('Delete', async (req, signal) => {
      const ctx = contextFor(req.artifact, 'artifact', signal);
      return `${ctx.key}: ${await deleteArtifact(ctx)} object(s) deleted`;
    }),

    ListObjects(call: ServerUnaryCall<ArtifactRequest, ListObjectsResponse>, callback: sendUnaryData<ListObjectsResponse>) {
      track((l) => call.once('cancelled', l), (signal) => listObjects(contextFor(call.request.artifact, 'artifact', signal))).then(
        (objects) => callback(null, { objects, error: '' }),
        (err: unknown) => {
          log(`ListObjects failed: ${describe(err)}`);
          callback(null, { objects: [], error: describe(err) });
        },
      );
    },

    IsDirectory(call: ServerUnaryCall<ArtifactRequest, IsDirectoryResponse>, callback: sendUnaryData<IsDirectoryResponse>) {
      track((l) => call.once('cancelled', l), (signal) => isDirectory(contextFor(call.request.artifact, 'artifact', signal))).then(
        (is_directory) => callback(null, { is_directory, error: '' }),
        (err: unknown) => {
          log(`IsDirectory failed: ${describe(err)}`);
          callback(null, { is_directory: false, error: describe(err) });
        },
      );
    },

    GetCapabilities(_call: ServerUnaryCall<unknown, GetCapabilitiesResponse>, callback: sendUnaryData<GetCapabilitiesResponse>) {
      callback(null, { supports_save_stream: true });
    },

    OpenStream(call: ServerWritableStream<ArtifactRequest, OpenStreamResponse>) {
      let sent = 0;
      track(
        (l) => call.once('cancelled', l),
        async (signal) => {
          const ctx = contextFor(call.request.artifact, 'artifact', signal);
          const target = await openStreamTarget(ctx);
          const body = await openObjectStream(target, signal);
          await streamFrames(call, body, target.size, signal, (n) => (sent = n));
          return target;
        },
      ).then(
        (target) => log(`OpenStream ${target.key}: ${formatBytes(target.size)}`),
        (err: unknown) => {
          log(`OpenStream failed${sent ? ` after ${formatBytes(sent)}` : ''}: ${describe(err)}`);
          if (!call.cancelled && !call.destroyed) call.emit('error', { code: grpcCode(err), details: describe(err) });
        },
      );
    },

    SaveStream(call: ServerDuplexStream<SaveStreamArtifactRequest, SuccessResponse>, callback: sendUnaryData<SuccessResponse>) {
      const started = Date.now();
      // A cancelled client stream never ends by itself: end the iteration with an error.
      call.once('cancelled', () => call.destroy(new PluginError('the client cancelled the stream', status.CANCELLED)));
      track(
        (l) => call.once('cancelled', l),
        async (signal) => {
          const frames = call[Symbol.asyncIterator]() as AsyncIterator<SaveStreamArtifactRequest>;
          const first = await frames.next();
          if (first.done || !first.value.output_artifact) throw new PluginError('the first SaveStream frame must carry output_artifact', Code.INVALID_ARGUMENT);
          const ctx = contextFor(first.value.output_artifact, 'output_artifact', signal);
          const firstChunk = first.value.chunk;
          async function* chunks(): AsyncGenerator<Buffer> {
            if (firstChunk?.length) yield firstChunk;
            for (;;) {
              const next = await frames.next();
              if (next.done) return;
              if (next.value.chunk?.length) yield next.value.chunk;
            }
          }
          const r = await saveStream(ctx, chunks(), { signal, log });
          return `${ctx.key}: ${formatBytes(r.bytes)}`;
        },
      ).then(
        (summary) => {
          log(`SaveStream ${summary} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          callback(null, { success: true, error: '' });
        },
        (err: unknown) => {
          log(`SaveStream failed: ${describe(err)}`);
          callback(null, { success: false, error: describe(err) });
        },
      );
    },
  };

  await prepareSocket(socketPath);
  const server = new Server();
  server.addService(artifactServiceDefinition(), handlers as never);
  await new Promise<void>((resolveBind, reject) => server.bindAsync(`unix://${socketPath}`, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolveBind())));
  // Argo's wait container (or argo-server) may run as another user than the plugin: let it connect.
  await chmod(socketPath, 0o666).catch(() => undefined);

  let closed: Promise<void> | undefined;
  return {
    socketPath,
    inflight: () => calls.size,
    close(graceMs = DEFAULT_SHUTDOWN_GRACE_MS) {
      closed ??= (async () => {
        closing = true;
        // No new calls. Argo's clients never close their connections, so the server's own drain would
        // wait for ever: wait for our calls in flight instead.
        server.tryShutdown(() => undefined);
        const deadline = Date.now() + graceMs;
        while (calls.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        if (calls.size > 0) {
          log(`shutting down: cancelling ${calls.size} call(s) still in flight`);
          for (const c of calls) c.abort(new PluginError('the plugin is shutting down', Code.UNAVAILABLE));
          // Let the cancelled calls answer (a file upload stays resumable, a stream is aborted).
          const until = Date.now() + 2000;
          while (calls.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        }
        // Let the last answers leave before the connections are cut.
        await new Promise((r) => setTimeout(r, 100));
        server.forceShutdown();
        await rm(socketPath, { force: true });
      })();
      return closed;
    },
  };
}

/**
 * Writes the body as ≤ 1 MiB frames in order, at most FRAME_WINDOW frames ahead of the transport (the
 * body is paused meanwhile, so gRPC flow control reaches back to OSS), then an is_end frame without data.
 */
async function streamFrames(
  call: ServerWritableStream<ArtifactRequest, OpenStreamResponse>,
  body: NodeJS.ReadableStream & { destroy(): void },
  size: number,
  signal: AbortSignal,
  progress: (sent: number) => void,
): Promise<void> {
  const pending: Array<Promise<void>> = [];
  let sent = 0;
  let parts: Buffer[] = [];
  let buffered = 0;
  const write = async (message: OpenStreamResponse) => {
    if (signal.aborted) throw signal.reason;
    const written = new Promise<void>((done, fail) => call.write(message, (err?: Error | null) => (err ? fail(err) : done())));
    written.catch(() => undefined); // observed below, in order; an early failure must not go unhandled
    pending.push(written);
    while (pending.length >= FRAME_WINDOW) await pending.shift();
  };
  const flush = async () => {
    if (buffered === 0) return;
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts, buffered);
    parts = [];
    buffered = 0;
    sent += data.length;
    progress(sent);
    await write({ data });
  };
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let rest = chunk;
      while (rest.length > 0) {
        const take = Math.min(rest.length, FRAME_BYTES - buffered);
        parts.push(take === rest.length ? rest : rest.subarray(0, take));
        buffered += take;
        rest = rest.subarray(take);
        if (buffered === FRAME_BYTES) await flush();
      }
    }
    await flush();
  } finally {
    body.destroy();
  }
  if (sent !== size) throw new PluginError(`the object ended after ${sent} of ${size} bytes`, Code.UNAVAILABLE);
  await write({ is_end: true });
  await Promise.all(pending);
  call.end();
}
