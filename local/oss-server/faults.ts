// Fault injection for tests: a registry of one-shot (or counted) faults matched against each OSS
// request, and the mechanics to apply them: delay, fail with an OSS error, or cut the connection
// after K bytes of the request body read or of the response body sent.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, pipeline, type Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { OssError, codeForStatus } from './errors';

export interface FaultMatch {
  /** OSS operation name, e.g. PutObject, UploadPart, CompleteMultipartUpload. */
  operation?: string;
  method?: string;
  bucket?: string;
  key?: string;
  keyPrefix?: string;
}

export interface FaultSpec {
  match?: FaultMatch;
  /** How many matching requests it affects; default 1, -1 = until cleared. */
  count?: number;
  /** Affect only every Nth matching request (the Nth, 2Nth, …); default 1 (each). Deterministic. */
  every?: number;
  status?: number;
  code?: string;
  message?: string;
  resetAfterBytes?: number;
  direction?: 'request' | 'response';
  latencyMs?: number;
}

export interface Fault extends FaultSpec {
  id: string;
  remaining: number;
  hits: number;
  /** Matching requests seen (hits are the ones it applied to). */
  seen: number;
}

export class FaultSpecError extends Error {}

const MATCH_FIELDS = ['operation', 'method', 'bucket', 'key', 'keyPrefix'] as const;
const SPEC_FIELDS = ['match', 'count', 'every', 'status', 'code', 'message', 'resetAfterBytes', 'direction', 'latencyMs'];

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/** Validates a spec from JSON; throws FaultSpecError naming the field. */
export function validateFaultSpec(input: unknown): FaultSpec {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new FaultSpecError('a fault must be a JSON object');
  const s = input as Record<string, unknown>;
  for (const k of Object.keys(s)) if (!SPEC_FIELDS.includes(k)) throw new FaultSpecError(`unknown field "${k}"`);
  const spec: FaultSpec = {};
  if (s.match !== undefined) {
    if (!s.match || typeof s.match !== 'object' || Array.isArray(s.match)) throw new FaultSpecError('"match" must be an object');
    const m = s.match as Record<string, unknown>;
    spec.match = {};
    for (const k of Object.keys(m)) {
      if (!(MATCH_FIELDS as readonly string[]).includes(k)) throw new FaultSpecError(`unknown field "match.${k}"`);
      if (typeof m[k] !== 'string') throw new FaultSpecError(`"match.${k}" must be a string`);
      spec.match[k as (typeof MATCH_FIELDS)[number]] = m[k] as string;
    }
  }
  if (s.count !== undefined) {
    if (!(isInt(s.count, 1, 1e9) || s.count === -1)) throw new FaultSpecError('"count" must be a positive integer or -1');
    spec.count = s.count;
  }
  if (s.every !== undefined) {
    if (!isInt(s.every, 1, 1e9)) throw new FaultSpecError('"every" must be a positive integer');
    spec.every = s.every;
  }
  if (s.status !== undefined) {
    if (!isInt(s.status, 400, 599)) throw new FaultSpecError('"status" must be an HTTP error status (400-599)');
    spec.status = s.status;
  }
  for (const k of ['code', 'message'] as const) {
    if (s[k] !== undefined) {
      if (typeof s[k] !== 'string' || !(s[k] as string)) throw new FaultSpecError(`"${k}" must be a non-empty string`);
      spec[k] = s[k] as string;
    }
  }
  if (s.resetAfterBytes !== undefined) {
    if (!isInt(s.resetAfterBytes, 0, Number.MAX_SAFE_INTEGER)) throw new FaultSpecError('"resetAfterBytes" must be an integer >= 0');
    spec.resetAfterBytes = s.resetAfterBytes;
  }
  if (s.direction !== undefined) {
    if (s.direction !== 'request' && s.direction !== 'response') throw new FaultSpecError('"direction" must be "request" or "response"');
    spec.direction = s.direction;
  }
  if (s.latencyMs !== undefined) {
    if (!isInt(s.latencyMs, 0, 600_000)) throw new FaultSpecError('"latencyMs" must be an integer 0..600000');
    spec.latencyMs = s.latencyMs;
  }
  const fails = spec.status !== undefined || spec.code !== undefined;
  if (fails && spec.resetAfterBytes !== undefined) throw new FaultSpecError('a fault either fails with an error or resets the connection, not both');
  if (!fails && spec.resetAfterBytes === undefined && spec.latencyMs === undefined) {
    throw new FaultSpecError('a fault needs status/code, resetAfterBytes or latencyMs');
  }
  return spec;
}

export interface RequestInfo {
  operation: string;
  method: string;
  bucket?: string;
  key?: string;
}

export class FaultRegistry {
  private faults: Fault[] = [];

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: randomBytes(6).toString('hex'), remaining: spec.count ?? 1, hits: 0, seen: 0 };
    this.faults.push(fault);
    return fault;
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clear(): number {
    const n = this.faults.length;
    this.faults = [];
    return n;
  }

  remove(id: string): boolean {
    const n = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length !== n;
  }

  /** The first fault matching the request (and due, for `every`), consumed by one use. */
  take(info: RequestInfo): Fault | undefined {
    const f = this.faults.find((x) => matches(x.match, info) && (x.every === undefined || ++x.seen % x.every === 0));
    if (!f) return undefined;
    if (f.every === undefined) f.seen++;
    f.hits++;
    if (f.remaining > 0 && --f.remaining === 0) this.faults = this.faults.filter((x) => x !== f);
    return f;
  }
}

function matches(m: FaultMatch | undefined, info: RequestInfo): boolean {
  if (!m) return true;
  if (m.operation !== undefined && m.operation !== info.operation) return false;
  if (m.method !== undefined && m.method.toUpperCase() !== info.method) return false;
  if (m.bucket !== undefined && m.bucket !== info.bucket) return false;
  if (m.key !== undefined && m.key !== info.key) return false;
  if (m.keyPrefix !== undefined && !(info.key ?? '').startsWith(m.keyPrefix)) return false;
  return true;
}

export function faultError(f: Fault): OssError | undefined {
  if (f.status === undefined && f.code === undefined) return undefined;
  const code = f.code ?? codeForStatus(f.status!);
  return new OssError(code, f.message ?? `Injected fault: ${code}.`, {}, f.status);
}

/** Destroys the connection once `limit` request-body bytes have been read through the result. */
export function cutRequestAfter(req: IncomingMessage, limit: number): Readable {
  let seen = 0;
  const gate = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const room = limit - seen;
      if (chunk.length < room) {
        seen += chunk.length;
        done(null, chunk);
        return;
      }
      seen = limit;
      req.socket?.destroy();
      done(new Error(`injected fault: connection reset after ${limit} request bytes`));
    },
  });
  return pipeline(req, gate, () => undefined);
}

type WriteFn = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;
type EndFn = (chunk?: unknown, encoding?: unknown, cb?: unknown) => ServerResponse;

function toBuffer(chunk: unknown, encoding: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.alloc(0);
}

/**
 * Lets `limit` response-body bytes through, then ends the socket: the client has the headers
 * (with the full Content-Length) and a truncated body, exactly like a dropped connection.
 */
export function cutResponseAfter(res: ServerResponse, limit: number): void {
  let sent = 0;
  let cut = false;
  const write = res.write.bind(res) as WriteFn;
  const end = res.end.bind(res) as EndFn;
  const doCut = () => {
    cut = true;
    if (!res.headersSent) res.flushHeaders();
    const socket = res.socket;
    socket?.end();
    setTimeout(() => socket?.destroy(), 100).unref();
  };
  const pass = (chunk: unknown, encoding: unknown): Buffer | undefined => {
    if (cut) return undefined;
    const buf = toBuffer(chunk, encoding);
    const room = limit - sent;
    if (buf.length < room) {
      sent += buf.length;
      return buf;
    }
    sent = limit;
    if (room > 0) write(buf.subarray(0, room), undefined);
    doCut();
    return undefined;
  };
  (res as unknown as { write: WriteFn }).write = (chunk, encoding, cb) => {
    const callback = typeof encoding === 'function' ? encoding : cb;
    const buf = pass(chunk, encoding);
    // Past the cut: false and no callback; the writer waits until the socket's 'close'.
    return buf ? write(buf, callback) : false;
  };
  (res as unknown as { end: EndFn }).end = (chunk, encoding) => {
    if (typeof chunk === 'function') chunk = undefined;
    const buf = chunk === undefined || chunk === null ? Buffer.alloc(0) : pass(chunk, encoding);
    if (cut) return res;
    if (buf && buf.length === 0 && limit === 0) {
      doCut();
      return res;
    }
    return buf && buf.length ? end(buf) : end();
  };
}
