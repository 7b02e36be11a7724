// Serving one OSS object (or one member of a .tgz object): conditionals and Range decided from the
// HEAD's validators, then a ranged GET pinned to that ETag (If-Match), streamed with a length check.
// In redirect mode the bytes are not sent: a 302 to a short-lived presigned OSS URL instead.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { HttpError } from '../http/errors';
import { getObjectStream, headObject, listObjectsPage, OssError, presignGetObject, type ObjectInfo, type OssClient } from '../oss';
import { contentDisposition, notModifiedHeaders, objectHeaders, securityHeaders, type SecurityConfig } from './headers';
import { contentRange, decideRange, evaluatePreconditions, ifRangeAllows, type RangeDecision, type Validators } from './range';
import { LengthCheck, pipeToResponse } from './stream';
import { openTgzMember } from './tgz';

export interface ServeContext {
  req: IncomingMessage;
  res: ServerResponse;
  head: boolean;
  signal: AbortSignal;
  oss: OssClient;
  config: SecurityConfig & { downloadUrlTtlSeconds: number; tgzMaxBytes: number; tgzMaxEntries: number };
  /** Leave Content-Length out (FC strips it and streams only chunked responses). */
  omitContentLength: boolean;
  log: (line: string) => void;
}

/** HeadObject, or undefined when the key does not exist. */
export async function headOrUndefined(oss: OssClient, key: string): Promise<ObjectInfo | undefined> {
  try {
    return await headObject(oss, key);
  } catch (err) {
    if (err instanceof OssError && err.kind === 'NotFound') return undefined;
    throw err;
  }
}

/** True when at least one object (a file or Argo's directory marker) starts with `prefix`. */
export async function prefixExists(oss: OssClient, prefix: string): Promise<boolean> {
  const page = await listObjectsPage(oss, { prefix, maxKeys: 1 });
  return page.objects.length > 0;
}

export function redirect(res: ServerResponse, location: string, status: 302 | 307 = 307): void {
  res.writeHead(status, { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'content-length': '0' });
  res.end();
}

/** 304 / 412 per the request's preconditions; true when answered. */
function answerPreconditions(ctx: ServeContext, v: Validators, fileName: string): boolean {
  const pre = evaluatePreconditions(ctx.req.headers, v);
  if (pre === 'proceed') return false;
  if (pre === 'not-modified') {
    ctx.res.writeHead(304, notModifiedHeaders({ fileName, ...v }, ctx.config));
    ctx.res.end();
    return true;
  }
  throw new HttpError(412, 'PreconditionFailed', 'the artifact does not match If-Match / If-Unmodified-Since', { headers: securityHeaders(ctx.config) });
}

function rangeFor(ctx: ServeContext, v: Validators, size: number): Exclude<RangeDecision, { kind: 'unsatisfiable' }> {
  const header = ctx.req.headers.range;
  const d = header !== undefined && ifRangeAllows(first(ctx.req.headers['if-range']), v) ? decideRange(header, size) : ({ kind: 'full' } as const);
  if (d.kind === 'unsatisfiable') {
    throw new HttpError(416, 'RangeNotSatisfiable', `the range ${JSON.stringify(header)} is outside the ${size}-byte artifact`, {
      headers: { ...securityHeaders(ctx.config), 'content-range': `bytes */${size}` },
    });
  }
  return d;
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Status + headers for a full or partial body of `size` bytes. */
function writeBodyHead(ctx: ServeContext, base: Record<string, string>, range: Exclude<RangeDecision, { kind: 'unsatisfiable' }>, size: number): number {
  const partial = range.kind === 'partial';
  const length = partial ? range.end - range.start + 1 : size;
  const headers: Record<string, string> = { ...base };
  if (partial) headers['content-range'] = contentRange(range.start, range.end, size);
  if (!ctx.omitContentLength) headers['content-length'] = String(length);
  ctx.res.writeHead(partial ? 206 : 200, headers);
  return length;
}

export interface ServeObjectOptions {
  fileName: string;
  /** 302 to a presigned URL instead of streaming. */
  redirect: boolean;
}

/** One whole OSS object (with Range), known to exist with `info`. */
export async function serveObject(ctx: ServeContext, key: string, info: ObjectInfo, opts: ServeObjectOptions): Promise<void> {
  const v: Validators = { etag: info.etag || undefined, lastModified: info.lastModified };
  if (answerPreconditions(ctx, v, opts.fileName)) return;
  if (opts.redirect) {
    const signed = await presignGetObject(ctx.oss, key, { expiresSeconds: ctx.config.downloadUrlTtlSeconds, response: { contentDisposition: contentDisposition(opts.fileName) } });
    return redirect(ctx.res, signed.url, 302);
  }
  const range = rangeFor(ctx, v, info.size);
  const base = objectHeaders({ fileName: opts.fileName, ...v }, ctx.config);
  if (ctx.head) {
    writeBodyHead(ctx, base, range, info.size);
    ctx.res.end();
    return;
  }
  if (ctx.signal.aborted) return;
  // Pinned to the HEAD's ETag: if the object was replaced in between, OSS answers 412 and the caller
  // gets a retryable 503 rather than bytes that disagree with the promised length.
  const got = await getObjectStream(ctx.oss, key, {
    ...(range.kind === 'partial' ? { range: { start: range.start, end: range.end } } : {}),
    ...(info.etag ? { ifMatch: info.etag } : {}),
  });
  const want = range.kind === 'partial' ? 206 : 200;
  if (got.status !== want) {
    got.stream.destroy();
    throw new HttpError(502, 'StorageUnavailable', `OSS answered ${got.status} to a ${range.kind} GET`);
  }
  if (ctx.signal.aborted) {
    got.stream.destroy();
    return;
  }
  const length = writeBodyHead(ctx, base, range, info.size);
  const r = await pipeToResponse(got.stream, [new LengthCheck(length)], ctx.res);
  if (r.outcome === 'upstream-failed') ctx.log(`download ${key}: OSS failed mid-stream, connection cut: ${r.error?.message}`);
}

/** A stable strong ETag for a member: the archive's ETag and the member path. */
export function memberEtag(archiveEtag: string, member: string): string {
  return `"${createHash('sha256').update(`${archiveEtag}\n${member}`).digest('hex').slice(0, 32)}"`;
}

/** Bytes [start, end] of `source`; stops reading (and destroys the source) once past `end`. */
function slice(source: Readable, start: number, end: number): Readable {
  return Readable.from(
    (async function* () {
      let pos = 0;
      for await (const chunk of source as AsyncIterable<Buffer>) {
        const from = pos;
        pos += chunk.length;
        const a = Math.max(start - from, 0);
        const b = Math.min(end + 1 - from, chunk.length);
        if (b > a) yield chunk.subarray(a, b);
        if (pos > end) return; // leaving the loop destroys the source
      }
    })(),
    { objectMode: false },
  );
}

/** One member of a .tgz object: gunzip + tar parsed as the archive streams in, nothing staged. */
export async function serveTgzMember(ctx: ServeContext, key: string, info: ObjectInfo, memberPath: string): Promise<void> {
  const fileName = memberPath.slice(memberPath.lastIndexOf('/') + 1);
  const v: Validators = { etag: info.etag ? memberEtag(info.etag, memberPath) : undefined, lastModified: info.lastModified };
  if (answerPreconditions(ctx, v, fileName)) return;
  const archive = await getObjectStream(ctx.oss, key, info.etag ? { ifMatch: info.etag } : {});
  const found = await openTgzMember(archive.stream, memberPath, { signal: ctx.signal, maxBytes: ctx.config.tgzMaxBytes, maxEntries: ctx.config.tgzMaxEntries });
  if (!found) throw new HttpError(404, 'MemberNotFound', `the archive has no file ${JSON.stringify(memberPath)} (for a directory, end the path with '/')`);
  const { member, stream } = found;
  let range: ReturnType<typeof rangeFor>;
  try {
    range = rangeFor(ctx, v, member.size);
  } catch (err) {
    stream.destroy(); // stops reading the archive
    throw err;
  }
  const base = objectHeaders({ fileName, ...v }, ctx.config);
  if (ctx.head) {
    stream.destroy();
    writeBodyHead(ctx, base, range, member.size);
    ctx.res.end();
    return;
  }
  const length = writeBodyHead(ctx, base, range, member.size);
  const body = range.kind === 'partial' ? slice(stream, range.start, range.end) : stream;
  const r = await pipeToResponse(body, [new LengthCheck(length)], ctx.res);
  if (r.outcome === 'upstream-failed') ctx.log(`download ${key} → ${memberPath}: failed mid-stream, connection cut: ${r.error?.message}`);
}
