// Reading OSS response headers into typed values.
import type { IncomingHttpHeaders } from 'node:http';
import { parseCrc64 } from '../crc64';
import { OssError, type OssErrorContext } from './errors';

export function header(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name.toLowerCase()];
  if (Array.isArray(v)) return v[0];
  return v === undefined || v === '' ? undefined : String(v);
}

export function intHeader(headers: IncomingHttpHeaders | undefined, name: string): number | undefined {
  const v = header(headers, name);
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

export function dateHeader(headers: IncomingHttpHeaders | undefined, name: string): Date | undefined {
  const v = header(headers, name);
  if (v === undefined) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** x-oss-hash-crc64ecma as bigint; undefined when absent (copies may lack it), error when malformed. */
export function crc64Header(headers: IncomingHttpHeaders | undefined, ctx: OssErrorContext): bigint | undefined {
  const v = header(headers, 'x-oss-hash-crc64ecma');
  if (v === undefined) return undefined;
  try {
    return parseCrc64(v);
  } catch (err) {
    throw new OssError({ ...ctx, kind: 'Integrity', code: 'MalformedCrc64', status: 0, message: `bad x-oss-hash-crc64ecma ${JSON.stringify(v)}`, cause: err });
  }
}

export function requestIdOf(headers: IncomingHttpHeaders | undefined): string | undefined {
  return header(headers, 'x-oss-request-id');
}

/** x-oss-meta-* headers with the prefix removed. */
export function userMeta(headers: IncomingHttpHeaders | undefined): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.startsWith('x-oss-meta-') && v !== undefined) meta[k.slice('x-oss-meta-'.length)] = Array.isArray(v) ? v.join(',') : v;
  }
  return meta;
}

/** Parses `Content-Range: bytes a-b/size`. */
export function parseContentRange(v: string | undefined): { start: number; end: number; size: number | undefined } | undefined {
  const m = v && /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(v.trim());
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), size: m[3] === '*' ? undefined : Number(m[3]) };
}
