// A gRPC client of Argo's ArtifactService for the plugin tests, from the tests' own proto
// (test/fixtures/argo-artifact.proto, loaded by @grpc/proto-loader): it shares no code with the
// plugin, and calls it the way Argo's Go client does — over a Unix socket, no deadline, no metadata.
//
//   const client = artifactClient(socketPath);
//   await client.call('Save', { path, output_artifact: artifact('ns/wf/pod/out.txt', configuration) });
//   const { frames, status } = await client.openStream(artifact(key, configuration));
//   client.close();
import { credentials, loadPackageDefinition, status as grpcStatus, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startCli } from './cli';

const PROTO = fileURLToPath(new URL('../fixtures/argo-artifact.proto', import.meta.url));

export const STATUS = grpcStatus;

export interface PluginArtifactMessage {
  name: string;
  plugin: { name: string; configuration: string; key: string; connection_timeout_seconds?: number };
  [field: string]: unknown;
}

/** An artifact with a plugin location, as Argo's convertToGRPC builds it. */
export function artifact(key: string, configuration: string, name = 'out'): PluginArtifactMessage {
  return { name, path: '', mode: 0, plugin: { name: 'argo-oss', configuration, key, connection_timeout_seconds: 5 } };
}

/** The repository configuration string (YAML) pointing at a coordinator. */
export function pluginConfiguration(fields: Record<string, unknown>): string {
  return stringify(fields);
}

export interface StreamResult {
  /** Data frames in order (an is_end frame is recorded in `ends`, never as data). */
  frames: Buffer[];
  /** is_end frames seen, and whether one of them carried data. */
  ends: number;
  endCarriedData: boolean;
  /** Frames that carried the `error` field. */
  errors: string[];
  /** Set when the call ended with a gRPC error. */
  status?: { code: number; details: string };
}

type Unary = (request: unknown, callback: (err: ServiceError | null, response: any) => void) => unknown;

export interface ArtifactServiceClient {
  call<T = any>(method: 'Save' | 'Load' | 'Delete' | 'ListObjects' | 'IsDirectory' | 'GetCapabilities', request: unknown): Promise<T>;
  openStream(artifact: PluginArtifactMessage, options?: { onFrame?: (frame: Buffer, stream: ClientReadableStream<unknown>) => void }): Promise<StreamResult>;
  /** SaveStream: the metadata frame, then `chunks`; `cancelAfter` cancels the call after that many chunks. */
  saveStream(artifact: PluginArtifactMessage, chunks: AsyncIterable<Buffer> | Iterable<Buffer>, options?: { cancelAfter?: number }): Promise<{ response?: { success: boolean; error: string }; error?: ServiceError }>;
  raw: Client;
  close(): void;
}

export function artifactClient(socketPath: string): ArtifactServiceClient {
  const definition = loadSync(PROTO, { keepCase: true, longs: String, defaults: true });
  const pkg = loadPackageDefinition(definition) as any;
  const client = new pkg.artifact.ArtifactService(`unix://${socketPath}`, credentials.createInsecure()) as Client & Record<string, any>;
  return {
    raw: client,
    call(method, request) {
      return new Promise((resolve, reject) => {
        (client[method] as Unary).call(client, request, (err, response) => (err ? reject(err) : resolve(response)));
      });
    },
    openStream(a, options = {}) {
      return new Promise((resolve) => {
        const result: StreamResult = { frames: [], ends: 0, endCarriedData: false, errors: [] };
        const stream = client.OpenStream({ artifact: a }) as ClientReadableStream<{ data: Buffer; is_end: boolean; error: string }>;
        stream.on('data', (m) => {
          if (m.error) result.errors.push(m.error);
          if (m.is_end) {
            result.ends++;
            if (m.data?.length) result.endCarriedData = true;
            return;
          }
          if (m.data?.length) {
            result.frames.push(m.data);
            options.onFrame?.(m.data, stream);
          }
        });
        stream.on('error', (err: ServiceError) => {
          result.status = { code: err.code, details: err.details };
          resolve(result);
        });
        stream.on('end', () => resolve(result));
      });
    },
    saveStream(a, chunks, options = {}) {
      return new Promise((resolve) => {
        let settled = false;
        const call = client.SaveStream((err: ServiceError | null, response: { success: boolean; error: string }) => {
          settled = true;
          resolve(err ? { error: err } : { response });
        });
        void (async () => {
          const write = (m: unknown) => new Promise<void>((done) => (call.write(m) ? done() : call.once('drain', done)));
          await write({ output_artifact: a });
          let n = 0;
          for await (const chunk of chunks) {
            if (settled) return;
            if (options.cancelAfter !== undefined && n === options.cancelAfter) {
              call.cancel();
              return;
            }
            await write({ chunk });
            n++;
          }
          call.end();
        })();
      });
    },
    close: () => client.close(),
  };
}

/** `argo-oss plugin SOCKET …extra` as a child process, resolved once it serves. */
export async function startPluginProcess(socket: string, env: NodeJS.ProcessEnv, extraArgs: string[] = []): Promise<{ child: ChildProcess; output: () => string; exit: Promise<number | null> }> {
  return startCli(['plugin', socket, ...extraArgs], env, 'serving unix://');
}
