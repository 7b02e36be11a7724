// Field-by-field validation of request bodies (pure); every failure is a 400 naming the field.
import { invalidArgument } from '../http/errors';
import { parseCrc64 } from '../crc64';
import { OssArgumentError, validateTags } from '../oss';
import { MAX_PART_NUMBER } from '../oss/validate';
import { isReservedMetaKey } from '../tenancy';

export function optionalString(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') throw invalidArgument(field, 'must be a non-empty string');
  if (v.length > max) throw invalidArgument(field, `must be at most ${max} characters`);
  return v;
}

export function optionalInt(body: Record<string, unknown>, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalidArgument(field, `must be a whole number, got ${JSON.stringify(v)}`);
  return v;
}

/** size: a byte count, or null/omitted for a stream of unknown length. */
export function sizeField(body: Record<string, unknown>): number | null {
  const v = body.size;
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw invalidArgument('size', `must be a whole number of bytes ≥ 0 (or null for a stream of unknown size), got ${JSON.stringify(v)}`);
  }
  return v;
}

// A header value we pass to OSS: printable ASCII, one line.
const HEADER_VALUE = /^[\x20-\x7e]*$/;

export function contentTypeField(body: Record<string, unknown>): string | undefined {
  const v = optionalString(body, 'contentType', 256);
  if (v !== undefined && (!HEADER_VALUE.test(v) || !/^[\w.+-]+\/[\w.+-]+/.test(v))) throw invalidArgument('contentType', 'must be a media type like application/gzip');
  return v;
}

function stringMap(body: Record<string, unknown>, field: string): Record<string, string> | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidArgument(field, 'must be an object of string values');
  for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') throw invalidArgument(`${field}.${k}`, 'must be a string');
  return v as Record<string, string>;
}

export function tagsField(body: Record<string, unknown>): Record<string, string> | undefined {
  const tags = stringMap(body, 'tags');
  if (tags === undefined) return undefined;
  try {
    validateTags(tags);
  } catch (err) {
    if (err instanceof OssArgumentError) throw invalidArgument(err.argument, err.message.slice(err.argument.length + 2));
    throw err;
  }
  return tags;
}

/** OSS user metadata (x-oss-meta-*): names of letters, digits and '-', ASCII values, ≤ 8 KB in all. */
export function metaField(body: Record<string, unknown>): Record<string, string> | undefined {
  const meta = stringMap(body, 'meta');
  if (meta === undefined) return undefined;
  let total = 0;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (!/^[A-Za-z0-9-]{1,128}$/.test(k)) throw invalidArgument(`meta.${k}`, 'names are 1-128 letters, digits and -');
    // The owner record (shared/tenancy OWNER_META) is the coordinator's to write, never the caller's.
    if (isReservedMetaKey(k)) throw invalidArgument(`meta.${k}`, 'names starting with argo-oss- are reserved: the coordinator records the owner itself');
    if (!HEADER_VALUE.test(v)) throw invalidArgument(`meta.${k}`, 'values must be printable ASCII on one line');
    // OSS stores names lower-case: two names differing in case would silently collide.
    if (k.toLowerCase() in out) throw invalidArgument(`meta.${k}`, 'names are case-insensitive; this one is given twice');
    out[k.toLowerCase()] = v;
    total += k.length + v.length;
  }
  if (total > 8 * 1024) throw invalidArgument('meta', 'user metadata must total at most 8 KB');
  return out;
}

export function crc64Field(body: Record<string, unknown>): bigint | undefined {
  const v = body.crc64;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !/^\d{1,20}$/.test(v)) throw invalidArgument('crc64', 'must be the decimal CRC-64 (as in x-oss-hash-crc64ecma) as a string');
  try {
    return parseCrc64(v);
  } catch {
    throw invalidArgument('crc64', 'is not a 64-bit value');
  }
}

export function partNumberAt(v: unknown, field: string, max = MAX_PART_NUMBER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw invalidArgument(field, `must be a part number in 1..${max}, got ${JSON.stringify(v)}`);
  return v;
}

/** A non-empty array of objects, at most `max` long. */
export function objectArray(body: Record<string, unknown>, field: string, max: number): Array<Record<string, unknown>> {
  const v = body[field];
  if (!Array.isArray(v) || v.length === 0) throw invalidArgument(field, 'must be a non-empty array');
  if (v.length > max) throw invalidArgument(field, `at most ${max.toLocaleString('en-US')} entries per request, got ${v.length.toLocaleString('en-US')}`);
  v.forEach((p, i) => {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) throw invalidArgument(`${field}[${i}]`, 'must be an object');
  });
  return v as Array<Record<string, unknown>>;
}
