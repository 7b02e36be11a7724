// Argument checks done before anything is sent, so bad input fails fast with the argument named.
import { OssArgumentError } from './errors';

/** OSS limit for presigned URL lifetime (V4): 7 days. */
export const MAX_PRESIGN_EXPIRES_SECONDS = 604_800;
export const MAX_PART_NUMBER = 10_000;
/** DeleteMultipleObjects accepts at most this many keys per request. */
export const MAX_DELETE_KEYS = 1000;
/** ListObjectsV2 / ListParts / ListMultipartUploads page limit. */
export const MAX_LIST_PAGE = 1000;
export const MAX_OBJECT_TAGS = 10;

/**
 * OSS object keys: 1-1023 UTF-8 bytes, not starting with '/' or '\'. ali-oss silently strips leading
 * slashes, which would address a different object, so we refuse them.
 */
export function validateKey(key: unknown, argument = 'key'): string {
  if (typeof key !== 'string' || key.length === 0) throw new OssArgumentError(argument, 'must be a non-empty string');
  if (Buffer.byteLength(key, 'utf8') > 1023) throw new OssArgumentError(argument, 'must be at most 1023 bytes');
  if (key.startsWith('/') || key.startsWith('\\')) throw new OssArgumentError(argument, "must not start with '/' or '\\'");
  return key;
}

export function validateExpires(seconds: unknown, argument = 'expiresSeconds'): number {
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_PRESIGN_EXPIRES_SECONDS) {
    throw new OssArgumentError(argument, `must be an integer number of seconds in 1..${MAX_PRESIGN_EXPIRES_SECONDS}, got ${String(seconds)}`);
  }
  return seconds;
}

export function validatePartNumber(n: unknown, argument = 'partNumber'): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PART_NUMBER) {
    throw new OssArgumentError(argument, `must be an integer in 1..${MAX_PART_NUMBER}, got ${String(n)}`);
  }
  return n;
}

export function validateUploadId(id: unknown, argument = 'uploadId'): string {
  if (typeof id !== 'string' || id.trim() === '') throw new OssArgumentError(argument, 'must be a non-empty string');
  return id;
}

export function validatePageSize(n: unknown, argument: string, max = MAX_LIST_PAGE): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new OssArgumentError(argument, `must be an integer in 1..${max}, got ${String(n)}`);
  }
  return n;
}

export function validatePositiveInt(n: unknown, argument: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new OssArgumentError(argument, `must be a positive integer, got ${String(n)}`);
  return n;
}

/** base64 of a 16-byte MD5, the Content-MD5 header form. */
export function validateContentMd5(md5: string, argument = 'contentMd5'): string {
  if (!/^[A-Za-z0-9+/]{22}==$/.test(md5)) throw new OssArgumentError(argument, 'must be the base64 of a 16-byte MD5 digest');
  return md5;
}

// ali-oss's own check uses the character class [a-zA-Z0-9 +-=._:/] where "+-=" is a range (it admits
// ';', '<', '>'...), and it does not XML-escape tag text; we accept the documented set literally.
const TAG_CHARS = /^[A-Za-z0-9 +\-=._:/]*$/;

export function validateTags(tags: Record<string, string>, argument = 'tags'): Record<string, string> {
  const entries = Object.entries(tags);
  if (entries.length > MAX_OBJECT_TAGS) throw new OssArgumentError(argument, `at most ${MAX_OBJECT_TAGS} tags per object`);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw new OssArgumentError(`${argument}.${k}`, 'tag values must be strings');
    if (k.length < 1 || k.length > 128 || !TAG_CHARS.test(k)) {
      throw new OssArgumentError(`${argument}.${k}`, 'tag keys are 1-128 characters of letters, digits, space and + - = . _ : /');
    }
    if (v.length > 256 || !TAG_CHARS.test(v)) {
      throw new OssArgumentError(`${argument}.${k}`, 'tag values are 0-256 characters of letters, digits, space and + - = . _ : /');
    }
  }
  return tags;
}

/** Splits into chunks of at most `size` (the DeleteMultipleObjects batching). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  validatePositiveInt(size, 'size');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
