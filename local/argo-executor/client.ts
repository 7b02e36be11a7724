// A client of an artifact-driver plugin as Argo's executor uses one (workflow/artifacts/plugin): a
// gRPC connection over the plugin's Unix socket, waited for up to the connection timeout, then one
// call per operation with no deadline and no retries; a response whose `error` is set is a failure.
// Built from this directory's own artifact.proto: it shares no code with the plugin.
import { credentials, loadPackageDefinition, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO = fileURLToPath(new URL('./artifact.proto', import.meta.url));

/** Argo's PluginArtifact on the wire. */
export interface PluginArtifactMessage {
  name: string;
  configuration: string;
  key: string;
  connection_timeout_seconds?: number;
}

/** Argo's Artifact as convertToGRPC sends it (the fields the executor fills). */
export interface ArtifactMessage {
  name: string;
  path?: string;
  mode?: number;
  optional?: boolean;
  recurse_mode?: boolean;
  deleted?: boolean;
  plugin: PluginArtifactMessage;
}

/** A failed plugin call: the plugin's `error` field or the gRPC status. */
export class PluginCallError extends Error {
  override name = 'PluginCallError';
  constructor(
    readonly method: string,
    message: string,
    readonly grpcCode?: number,
  ) {
    super(`${method}: ${message}`);
  }
}

type Unary = (request: unknown, callback: (err: ServiceError | null, response: Record<string, unknown>) => void) => unknown;

let definition: ReturnType<typeof loadSync> | undefined;

export class ArtifactPluginClient {
  private readonly client: Client & Record<string, Unary | ((...args: unknown[]) => unknown)>;

  constructor(readonly socketPath: string) {
    definition ??= loadSync(PROTO, { keepCase: true, longs: String, defaults: true });
    const pkg = loadPackageDefinition(definition) as unknown as { artifact: { ArtifactService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => Client } };
    this.client = new pkg.artifact.ArtifactService(`unix://${socketPath}`, credentials.createInsecure()) as typeof this.client;
  }

  /** Waits until the plugin accepts connections (Argo: the artifact's connection timeout, default 5 s). */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(new PluginCallError('connect', `no plugin on ${this.socketPath} within ${timeoutMs} ms: ${err.message}`)) : resolve()));
    });
  }

  private unary(method: string, request: unknown): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      (this.client[method] as Unary).call(this.client, request, (err, response) => {
        if (err) return reject(new PluginCallError(method, err.details || err.message, err.code));
        if (typeof response.error === 'string' && response.error !== '') return reject(new PluginCallError(method, response.error));
        resolve(response);
      });
    });
  }

  async save(path: string, artifact: ArtifactMessage): Promise<void> {
    const r = await this.unary('Save', { path, output_artifact: artifact });
    if (r.success !== true) throw new PluginCallError('Save', 'the plugin answered success: false');
  }

  async load(artifact: ArtifactMessage, path: string): Promise<void> {
    const r = await this.unary('Load', { input_artifact: artifact, path });
    if (r.success !== true) throw new PluginCallError('Load', 'the plugin answered success: false');
  }

  async delete(artifact: ArtifactMessage): Promise<void> {
    const r = await this.unary('Delete', { artifact });
    if (r.success !== true) throw new PluginCallError('Delete', 'the plugin answered success: false');
  }

  async listObjects(artifact: ArtifactMessage): Promise<string[]> {
    return ((await this.unary('ListObjects', { artifact })).objects as string[] | undefined) ?? [];
  }

  async isDirectory(artifact: ArtifactMessage): Promise<boolean> {
    return (await this.unary('IsDirectory', { artifact })).is_directory === true;
  }

  async supportsSaveStream(): Promise<boolean> {
    try {
      return (await this.unary('GetCapabilities', {})).supports_save_stream === true;
    } catch (err) {
      if (err instanceof PluginCallError && err.grpcCode === 12 /* UNIMPLEMENTED */) return false;
      throw err;
    }
  }

  /**
   * OpenStream as argo-server reads it: data frames in order until an is_end frame (whose data is
   * ignored) or the end of the stream; an `error` frame or a gRPC error fails it. Pulled one frame at
   * a time, so gRPC flow control holds the plugin back while the consumer is slow.
   */
  async *openStream(artifact: ArtifactMessage, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const stream = (this.client.OpenStream as (req: unknown) => ClientReadableStream<{ data: Buffer; is_end: boolean; error: string }>).call(this.client, { artifact });
    const cancel = () => stream.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      for await (const frame of stream) {
        if (frame.error) throw new PluginCallError('OpenStream', frame.error);
        if (frame.is_end) return;
        if (frame.data?.length) yield frame.data;
      }
    } catch (err) {
      if (err instanceof PluginCallError) throw err;
      const e = err as ServiceError;
      throw new PluginCallError('OpenStream', e.details || e.message, e.code);
    } finally {
      signal?.removeEventListener('abort', cancel);
      stream.cancel();
    }
  }

  close(): void {
    this.client.close();
  }
}
