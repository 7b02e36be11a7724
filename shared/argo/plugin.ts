// The argo-oss artifact plugin's `configuration` (Argo's `plugin.configuration`, a free-form string):
// YAML (which also accepts JSON) naming where artifacts go. Argo copies the string into pod env, GC
// tasks and the Workflow status, so it carries nothing secret: the plugin proves who it is with the
// pod's service-account token, and the functions use their own credentials.
//
//   coordinator: https://upload.example.com   # the upload coordinator (required)
//   bucket: argo-artifacts                     # required; must be the bucket the functions serve
//   endpoint: oss-cn-hangzhou-internal.aliyuncs.com   # required; one of the served endpoints
//   partSize: 64MiB                            # optional: bytes per part (100KB..5GiB)
//   concurrency: 16                            # optional: parts in flight (1..256)
//
// One parser for the plugin (every request) and for download/GC (resolving `plugin: {key}`), so both
// agree on what a configuration means. Unknown fields are refused: a typo must not be ignored.
import { parseDocument } from 'yaml';
import { ConfigValueError, validateBucketName } from '../config';
import { parseSize } from '../size';

export { DEFAULT_PLUGIN_NAME } from '../config';

export interface PluginConfiguration {
  coordinator: string;
  bucket: string;
  endpoint: string;
  partSize?: number;
  concurrency?: number;
}

/** A configuration the plugin cannot use; `field` names the offending field (`configuration` for the whole). */
export class PluginConfigurationError extends Error {
  override name = 'PluginConfigurationError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field === 'configuration' ? 'configuration' : `configuration.${field}`}: ${reason}`);
  }
}

const FIELDS = ['coordinator', 'bucket', 'endpoint', 'partSize', 'concurrency'] as const;
const MAX_CONFIGURATION_BYTES = 16 * 1024;
const MIN_PART = 100 * 1024;
const MAX_PART = 5 * 1024 ** 3;

function requiredString(v: Record<string, unknown>, field: string): string {
  const value = v[field];
  if (value === undefined || value === null || value === '') throw new PluginConfigurationError(field, 'is required');
  if (typeof value !== 'string') throw new PluginConfigurationError(field, `must be a string, got ${JSON.stringify(value)}`);
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(value)) throw new PluginConfigurationError(field, 'must not contain whitespace or control characters');
  return value;
}

/** Parses and checks a configuration string; throws PluginConfigurationError naming the field. */
export function parsePluginConfiguration(text: unknown): PluginConfiguration {
  if (typeof text !== 'string' || text.trim() === '') throw new PluginConfigurationError('configuration', 'is required: YAML with coordinator, bucket and endpoint');
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIGURATION_BYTES) throw new PluginConfigurationError('configuration', `must be at most ${MAX_CONFIGURATION_BYTES} bytes`);
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new PluginConfigurationError('configuration', `is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (err) {
    throw new PluginConfigurationError('configuration', `is not usable YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new PluginConfigurationError('configuration', 'must be a YAML mapping (coordinator, bucket, endpoint, ...)');
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    if (!(FIELDS as readonly string[]).includes(k)) throw new PluginConfigurationError(k, `unknown field (known: ${FIELDS.join(', ')}); nothing secret belongs here`);
  }

  const coordinator = requiredString(v, 'coordinator');
  let url: URL;
  try {
    url = new URL(coordinator);
  } catch {
    throw new PluginConfigurationError('coordinator', `must be an http(s) URL, got ${JSON.stringify(coordinator)}`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash) {
    throw new PluginConfigurationError('coordinator', `must be an http(s) URL without credentials, query or fragment, got ${JSON.stringify(coordinator)}`);
  }
  const bucket = requiredString(v, 'bucket');
  try {
    validateBucketName(bucket);
  } catch (err) {
    if (err instanceof ConfigValueError) throw new PluginConfigurationError('bucket', err.message);
    throw err;
  }
  const endpoint = requiredString(v, 'endpoint');
  const out: PluginConfiguration = { coordinator: coordinator.replace(/\/+$/, ''), bucket, endpoint };

  if (v.partSize !== undefined && v.partSize !== null) {
    let size: number;
    try {
      size = typeof v.partSize === 'number' ? v.partSize : typeof v.partSize === 'string' ? parseSize(v.partSize) : NaN;
    } catch (err) {
      throw new PluginConfigurationError('partSize', (err as Error).message);
    }
    if (!Number.isInteger(size) || size < MIN_PART || size > MAX_PART) throw new PluginConfigurationError('partSize', `must be a size from 100KB to 5GiB (e.g. 64MiB), got ${JSON.stringify(v.partSize)}`);
    out.partSize = size;
  }
  if (v.concurrency !== undefined && v.concurrency !== null) {
    const n = v.concurrency;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 256) throw new PluginConfigurationError('concurrency', `must be an integer from 1 to 256, got ${JSON.stringify(n)}`);
    out.concurrency = n;
  }
  return out;
}
