// JSON request bodies: media type, size cap and syntax, each with its own clear 4xx.
import { HttpError } from './errors';
import { MAX_JSON_BODY_BYTES, type HttpRequest } from './types';

export interface ReadJsonOptions {
  maxBytes?: number;
  /** When the body is absent: return this instead of failing (e.g. {} for optional bodies). */
  ifEmpty?: Record<string, unknown>;
}

/**
 * Reads and parses the body as a JSON object: 415 for another media type, 413 over the cap (a
 * declared length past it is refused unread), 400 for bad JSON. Call it only once the caller is
 * authenticated.
 */
export async function readJsonObject(req: HttpRequest, options: ReadJsonOptions = {}): Promise<Record<string, unknown>> {
  const max = options.maxBytes ?? MAX_JSON_BODY_BYTES;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) throw payloadTooLarge(max);
  const body = await req.body();
  if (body === undefined || body.length === 0) {
    if (options.ifEmpty) return { ...options.ifEmpty };
    throw new HttpError(400, 'InvalidArgument', 'a JSON object body is required', { field: 'body' });
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  // A missing type is accepted (curl -d sends form type, many scripts send none); anything else is not JSON.
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, 'UnsupportedMediaType', `expected Content-Type application/json, got ${type}`, { headers: { accept: 'application/json' } });
  }
  if (body.length > max) throw payloadTooLarge(max);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, 'InvalidJson', `the body is not valid JSON: ${(err as Error).message}`, { field: 'body' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'InvalidArgument', 'the body must be a JSON object', { field: 'body' });
  }
  return value as Record<string, unknown>;
}

export function payloadTooLarge(max: number): HttpError {
  return new HttpError(413, 'PayloadTooLarge', `the body exceeds ${max} bytes`);
}
