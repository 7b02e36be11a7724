// The coordinator's requests, parsed at the edge: routes.ts turns each JSON body (or query) into one
// of these typed values, or a 400 naming the field, before UploadCoordinator sees it. Pure.
import { invalidArgument } from '../http/errors';
import { validateArtifactKey } from '../tenancy';
import { MAX_PARTS } from './plan';
import { contentTypeField, crc64Field, metaField, objectArray, optionalInt, optionalString, partNumberAt, sizeField, tagsField } from './validate';

/** Parts one sign request may ask for. */
export const MAX_SIGN_PARTS = 1000;

/** POST /uploads */
export interface StartRequest {
  key: string;
  /** null: a stream of unknown length. */
  size: number | null;
  partSize?: number;
  writers: number;
  fingerprint?: string;
  contentType?: string;
  tags?: Record<string, string>;
  /** Caller metadata, names lower-cased; never an argo-oss-* name (the owner record is ours). */
  meta?: Record<string, string>;
}

/** POST /uploads/{uploadId}/sign */
export interface SignRequest {
  key: string;
  /** `index` is the entry's position in the request, for errors naming `parts[i]`. */
  parts: Array<{ partNumber: number; md5?: string; index: number }>;
}

/** POST /uploads/{uploadId}/complete */
export interface CompleteRequest {
  key: string;
  /** The parts to assemble as the client recorded them; undefined: every part OSS lists. */
  parts?: Array<{ partNumber: number; etag: string }>;
  /** The client's CRC-64 of the whole object. */
  crc64?: bigint;
}

const keyOf = (raw: unknown, artifactRoot: string) => validateArtifactKey(raw ?? undefined, artifactRoot);

/** The `key` query parameter of GET / DELETE /uploads/{uploadId}. */
export function parseKeyParam(raw: string | null, artifactRoot: string): string {
  return keyOf(raw, artifactRoot);
}

export function parseStartRequest(body: Record<string, unknown>, artifactRoot: string): StartRequest {
  const key = keyOf(body.key, artifactRoot);
  const size = sizeField(body);
  const partSize = optionalInt(body, 'partSize');
  const writers = optionalInt(body, 'writers') ?? 1;
  const fingerprint = optionalString(body, 'fingerprint', 1024);
  const contentType = contentTypeField(body);
  const tags = tagsField(body);
  const meta = metaField(body);
  return {
    key,
    size,
    writers,
    ...(partSize !== undefined ? { partSize } : {}),
    ...(fingerprint !== undefined ? { fingerprint } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    ...(tags !== undefined ? { tags } : {}),
    ...(meta !== undefined ? { meta } : {}),
  };
}

/** Part numbers listed once each; `extra` validates the rest of an entry. */
function uniqueParts<T>(body: Record<string, unknown>, max: number, extra: (p: Record<string, unknown>, i: number) => T): Array<T & { partNumber: number; index: number }> {
  const seen = new Set<number>();
  return objectArray(body, 'parts', max).map((p, i) => {
    const partNumber = partNumberAt(p.partNumber, `parts[${i}].partNumber`);
    if (seen.has(partNumber)) throw invalidArgument(`parts[${i}].partNumber`, `part ${partNumber} is listed twice`);
    seen.add(partNumber);
    return { ...extra(p, i), partNumber, index: i };
  });
}

export function parseSignRequest(body: Record<string, unknown>, artifactRoot: string): SignRequest {
  const key = keyOf(body.key, artifactRoot);
  const parts = uniqueParts(body, MAX_SIGN_PARTS, (p, i) => {
    const md5 = p.md5;
    if (md5 !== undefined && (typeof md5 !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(md5))) {
      throw invalidArgument(`parts[${i}].md5`, 'must be the base64 of the 16-byte MD5 of the part');
    }
    return md5 === undefined ? {} : { md5 };
  });
  return { key, parts };
}

export function parseCompleteRequest(body: Record<string, unknown>, artifactRoot: string): CompleteRequest {
  const key = keyOf(body.key, artifactRoot);
  const crc64 = crc64Field(body);
  let parts: CompleteRequest['parts'];
  if (body.parts !== undefined && body.parts !== null) {
    parts = uniqueParts(body, MAX_PARTS, (p, i) => {
      if (typeof p.etag !== 'string' || p.etag === '') throw invalidArgument(`parts[${i}].etag`, 'must be the ETag OSS returned for the part');
      return { etag: p.etag };
    }).map(({ partNumber, etag }) => ({ partNumber, etag }));
  }
  return { key, ...(parts ? { parts } : {}), ...(crc64 !== undefined ? { crc64 } : {}) };
}
