// A small typed client for the upload coordinator's JSON API (shared/upload/protocol.ts).
//
//   const coordinator = new CoordinatorClient({ url: 'http://127.0.0.1:9000', token: () => readToken() });
//   const plan = await coordinator.start({ key, size, fingerprint });
//   const { parts } = await coordinator.sign(plan.uploadId, { key, parts: [{ partNumber: 1 }] });
//
// Every call is retried on network errors, 5xx and 429 with capped, jittered exponential backoff
// (honouring Retry-After) — except start without a fingerprint, which is not idempotent (a retry
// could open a second upload). Any other answer becomes a CoordinatorError carrying the JSON error.
import { backoffDelay, sleep } from '../backoff';
import type { ObjectDeleteResponse, ObjectListResponse, ObjectStatResponse } from '../objects/protocol';
import type {
  CompleteUploadRequest,
  CompleteUploadResponse,
  SignPartsRequest,
  SignPartsResponse,
  StartUploadRequest,
  StartUploadResponse,
  UploadStateResponse,
} from './protocol';

/** The coordinator's JSON error, or a transport failure (status 0, code NetworkError/Timeout). */
export class CoordinatorError extends Error {
  override name = 'CoordinatorError';
  constructor(
    /** HTTP status; 0 when no HTTP answer arrived. */
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field the coordinator named, e.g. "size". */
    readonly field?: string,
    readonly details?: unknown,
    /** The operation that failed, e.g. "POST /uploads". */
    readonly operation?: string,
    /** The server's Retry-After, when it sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Worth retrying later: no answer, 5xx, 429. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export type TokenSource = string | (() => string | Promise<string>);

export interface CoordinatorClientOptions {
  /** Base URL; the API lives under `<url>/uploads` and `<url>/objects` (a path prefix in the URL is kept). */
  url: string;
  /** Bearer token, or a function re-read before each request (projected tokens rotate on disk). */
  token?: TokenSource;
  /** Attempts per call including the first (default 6). */
  attempts?: number;
  /** First backoff delay (default 250 ms), doubled per attempt up to maxDelayMs (default 10 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  /** Cancels waiting and in-flight requests. */
  signal?: AbortSignal;
  userAgent?: string;
  /** Called before each retry, e.g. for logging. */
  onRetry?: (info: { operation: string; attempt: number; delayMs: number; error: CoordinatorError }) => void;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

interface CallSpec {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  idempotent: boolean;
}

export class CoordinatorClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: CoordinatorClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`coordinator URL is not a URL: ${JSON.stringify(options.url)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`coordinator URL must be http(s): ${options.url}`);
    this.base = url.href.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** POST /uploads: starts an upload, or returns the one in progress for the same key+size+fingerprint. */
  start(request: StartUploadRequest): Promise<StartUploadResponse> {
    // Without a fingerprint a retried start after a lost answer would open a second upload.
    return this.call<StartUploadResponse>({ method: 'POST', path: '/uploads', body: request, idempotent: request.fingerprint !== undefined });
  }

  /** POST /uploads/{id}/sign: presigned PUT URLs for just these parts (≤ 1000). */
  async sign(uploadId: string, request: SignPartsRequest): Promise<SignPartsResponse> {
    const res = await this.call<SignPartsResponse>({ method: 'POST', path: `/uploads/${encodeURIComponent(uploadId)}/sign`, body: request, idempotent: true });
    if (!res || !Array.isArray(res.parts)) throw this.malformed('POST /uploads/{id}/sign', 'parts is not an array');
    const got = new Set(res.parts.map((p) => p.partNumber));
    const missing = request.parts.find((p) => !got.has(p.partNumber));
    if (missing) throw this.malformed('POST /uploads/{id}/sign', `no URL for part ${missing.partNumber}`);
    return res;
  }

  /** GET /uploads/{id}?key=…: the plan plus the parts already in OSS. */
  async state(uploadId: string, key: string): Promise<UploadStateResponse> {
    const res = await this.call<UploadStateResponse>({ method: 'GET', path: `/uploads/${encodeURIComponent(uploadId)}`, query: { key }, idempotent: true });
    if (!res || !Array.isArray(res.parts)) throw this.malformed('GET /uploads/{id}', 'parts is not an array');
    return res;
  }

  /** POST /uploads/{id}/complete: idempotent on the coordinator's side (a retry verifies the object). */
  complete(uploadId: string, request: CompleteUploadRequest): Promise<CompleteUploadResponse> {
    return this.call<CompleteUploadResponse>({ method: 'POST', path: `/uploads/${encodeURIComponent(uploadId)}/complete`, body: request, idempotent: true });
  }

  /** DELETE /uploads/{id}?key=…: aborts the upload and drops its parts. */
  async abort(uploadId: string, key: string): Promise<void> {
    await this.call<unknown>({ method: 'DELETE', path: `/uploads/${encodeURIComponent(uploadId)}`, query: { key }, idempotent: true });
  }

  /** GET /objects/stat?key=…: size, ETag, CRC-64 and a presigned GET URL; 404 NoSuchKey (details.directory) when absent. */
  async stat(key: string): Promise<ObjectStatResponse> {
    const res = await this.call<ObjectStatResponse>({ method: 'GET', path: '/objects/stat', query: { key }, idempotent: true });
    if (!res || typeof res.url !== 'string' || typeof res.size !== 'number') throw this.malformed('GET /objects/stat', 'no url or size');
    return res;
  }

  /** GET /objects/list: one page of the objects under `prefix` (recursive). */
  async listObjects(request: { prefix: string; marker?: string; maxKeys?: number }): Promise<ObjectListResponse> {
    const query: Record<string, string> = { prefix: request.prefix };
    if (request.marker !== undefined) query.marker = request.marker;
    if (request.maxKeys !== undefined) query.maxKeys = String(request.maxKeys);
    const res = await this.call<ObjectListResponse>({ method: 'GET', path: '/objects/list', query, idempotent: true });
    if (!res || !Array.isArray(res.objects)) throw this.malformed('GET /objects/list', 'objects is not an array');
    return res;
  }

  /** POST /objects/delete: the object `key` and everything under `key/`; idempotent (gone → deleted 0). */
  deleteObject(key: string): Promise<ObjectDeleteResponse> {
    return this.call<ObjectDeleteResponse>({ method: 'POST', path: '/objects/delete', body: { key }, idempotent: true });
  }

  private malformed(operation: string, why: string): CoordinatorError {
    return new CoordinatorError(502, 'MalformedResponse', `coordinator answered ${operation} with an unexpected body: ${why}`, undefined, undefined, operation);
  }

  private async token(): Promise<string | undefined> {
    const t = this.options.token;
    return typeof t === 'function' ? await t() : t;
  }

  private async call<T>(spec: CallSpec): Promise<T> {
    const attempts = spec.idempotent ? Math.max(1, this.options.attempts ?? 6) : 1;
    const operation = `${spec.method} ${spec.path.replace(/\/uploads\/[^/]+/, '/uploads/{id}')}`;
    for (let attempt = 1; ; attempt++) {
      let error: CoordinatorError;
      const token = await this.token();
      try {
        return await this.once<T>(spec, operation, token);
      } catch (err) {
        if (!(err instanceof CoordinatorError)) throw err;
        error = err;
      }
      // A rotated token (the kubelet rewrites the projected file) raced this request: once with the new one.
      if (error.status === 401 && attempt === 1 && typeof this.options.token === 'function' && !this.options.signal?.aborted && (await this.token()) !== token) continue;
      if (!error.retryable || attempt >= attempts || this.options.signal?.aborted) throw error;
      const delayMs = Math.min(
        Math.max(error.retryAfterMs ?? 0, backoffDelay(attempt, this.options.baseDelayMs ?? 250, this.options.maxDelayMs ?? 10_000)),
        60_000,
      );
      this.options.onRetry?.({ operation, attempt, delayMs, error });
      await sleep(delayMs, this.options.signal);
    }
  }

  private async once<T>(spec: CallSpec, operation: string, token: string | undefined): Promise<T> {
    const url = new URL(this.base + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (this.options.userAgent) headers['user-agent'] = this.options.userAgent;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 60_000);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(url, { method: spec.method, headers, body: spec.body === undefined ? undefined : JSON.stringify(spec.body), signal });
      text = await res.text();
    } catch (err) {
      if (this.options.signal?.aborted) throw this.options.signal.reason ?? err;
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const timedOut = timeout.aborted;
      const detail = e.cause?.code ?? e.cause?.message ?? e.message;
      throw new CoordinatorError(0, timedOut ? 'Timeout' : 'NetworkError', `${operation} ${url.origin}: ${timedOut ? 'timed out' : detail}`, undefined, undefined, operation);
    }
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
    }
    if (res.ok) {
      if (body === undefined && text) throw this.malformed(operation, 'not JSON');
      return body as T;
    }
    const e = (body as { error?: { code?: unknown; message?: unknown; field?: unknown; details?: unknown } } | undefined)?.error;
    const code = typeof e?.code === 'string' ? e.code : `Http${res.status}`;
    const message = typeof e?.message === 'string' ? e.message : `${res.status} ${res.statusText}${text && !e ? `: ${text.slice(0, 200)}` : ''}`;
    const field = typeof e?.field === 'string' ? e.field : undefined;
    throw new CoordinatorError(res.status, code, message, field, e?.details, operation, retryAfterMs(res.headers.get('retry-after')));
  }
}
