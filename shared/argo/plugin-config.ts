// The `configuration` string of an argo-oss artifact-driver plugin location (Argo ≥ 4.0 `plugin:` blocks).
//
// Argo hands it to the plugin unchanged in every request and copies it into pod env, GC tasks and the
// Workflow status, so it never holds a secret: the caller's identity is its service-account token.
// It is YAML (JSON is YAML too):
//
//   coordinator: https://upload-coordinator.example.com   # the upload coordinator (required)
//   bucket: my-artifacts                                  # the OSS bucket it serves (required)
//   endpoint: oss-cn-hangzhou.aliyuncs.com                # that bucket's endpoint (required)
//   partSize: 64MiB                                       # optional: bytes per part of an upload
//   concurrency: 8                                        # optional: parts / ranges in flight
//
// bucket and endpoint name where the bytes live, so our download and GC functions can tell a plugin
// location as theirs; the plugin itself reaches OSS only through the coordinator. Pure.
import { parse } from 'yaml';
import { ConfigValueError, validateBucketName } from '../config';
import { parseSize } from '../size';
import { MAX_PART_SIZE, MIN_PART_SIZE } from '../upload/plan';

export interface PluginConfiguration {
  /** Base URL of the upload coordinator (its API lives under /uploads and /objects). */
  coordinator: string;
  bucket: string;
  /** As written: host[:port], with or without scheme (compare with canonicalEndpoint). */
  endpoint: string;
  partSize?: number;
  concurrency?: number;
}

export const PLUGIN_CONFIGURATION_FIELDS = ['coordinator', 'bucket', 'endpoint', 'partSize', 'concurrency'] as const;
export const MAX_PLUGIN_CONCURRENCY = 256;

/** A configuration that cannot be used; `field` is the offending field ('configuration' for the whole). */
export class PluginConfigurationError extends Error {
  override name = 'PluginConfigurationError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(field === 'configuration' ? `plugin configuration: ${message}` : `plugin configuration: ${field}: ${message}`);
  }
}

function requiredString(doc: Record<string, unknown>, field: string): string {
  const v = doc[field];
  if (v === undefined || v === null || v === '') throw new PluginConfigurationError(field, 'is required');
  if (typeof v !== 'string') throw new PluginConfigurationError(field, `must be a string, got ${JSON.stringify(v)}`);
  return v.trim();
}

function coordinatorUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PluginConfigurationError('coordinator', `${JSON.stringify(raw)} is not a URL; use e.g. https://upload-coordinator.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PluginConfigurationError('coordinator', `${JSON.stringify(raw)} must be an http:// or https:// URL`);
  // Argo copies the configuration into pod env and the Workflow status: a password here would leak.
  if (url.username || url.password) throw new PluginConfigurationError('coordinator', 'must not contain credentials (the plugin authenticates with its service-account token)');
  if (url.search || url.hash) throw new PluginConfigurationError('coordinator', `${JSON.stringify(raw)} must not have a query or fragment`);
  return url.href.replace(/\/+$/, '');
}

/** host[:port] with an optional http(s) scheme and no path, as Argo's `oss.endpoint` is written. */
function endpointOf(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new PluginConfigurationError('endpoint', `${JSON.stringify(raw)} is not an endpoint like oss-cn-hangzhou.aliyuncs.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PluginConfigurationError('endpoint', `${JSON.stringify(raw)} must be http(s) or a bare host`);
  if (url.username || url.password) throw new PluginConfigurationError('endpoint', 'must not contain credentials');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new PluginConfigurationError('endpoint', `${JSON.stringify(raw)} must be a bare endpoint (host[:port], optionally with scheme), without path or query`);
  }
  return raw.replace(/\/+$/, '');
}

function partSizeOf(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  let bytes: number;
  if (typeof v === 'number') bytes = v;
  else if (typeof v === 'string') {
    try {
      bytes = parseSize(v);
    } catch (err) {
      throw new PluginConfigurationError('partSize', (err as Error).message);
    }
  } else throw new PluginConfigurationError('partSize', `must be a size like 64MiB or a byte count, got ${JSON.stringify(v)}`);
  if (!Number.isSafeInteger(bytes) || bytes < MIN_PART_SIZE || bytes > MAX_PART_SIZE) {
    throw new PluginConfigurationError('partSize', `must be from 100KB (${MIN_PART_SIZE} bytes) to 5GiB, got ${JSON.stringify(v)}`);
  }
  return bytes;
}

function concurrencyOf(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_PLUGIN_CONCURRENCY) {
    throw new PluginConfigurationError('concurrency', `must be an integer from 1 to ${MAX_PLUGIN_CONCURRENCY}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** Parses and checks the configuration string; throws PluginConfigurationError naming the field. */
export function parsePluginConfiguration(text: string | undefined | null): PluginConfiguration {
  if (text === undefined || text === null || text.trim() === '') {
    throw new PluginConfigurationError('configuration', 'is empty: coordinator, bucket and endpoint are required');
  }
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 0, uniqueKeys: true });
  } catch (err) {
    throw new PluginConfigurationError('configuration', `is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new PluginConfigurationError('configuration', 'must be a YAML mapping with coordinator, bucket and endpoint');
  }
  const fields = doc as Record<string, unknown>;
  for (const k of Object.keys(fields)) {
    if (!(PLUGIN_CONFIGURATION_FIELDS as readonly string[]).includes(k)) {
      throw new PluginConfigurationError(k, `unknown field (known: ${PLUGIN_CONFIGURATION_FIELDS.join(', ')})`);
    }
  }
  const coordinator = coordinatorUrl(requiredString(fields, 'coordinator'));
  const rawBucket = requiredString(fields, 'bucket');
  let bucket: string;
  try {
    bucket = validateBucketName(rawBucket);
  } catch (err) {
    if (err instanceof ConfigValueError) throw new PluginConfigurationError('bucket', err.message);
    throw err;
  }
  const endpoint = endpointOf(requiredString(fields, 'endpoint'));
  const partSize = partSizeOf(fields.partSize);
  const concurrency = concurrencyOf(fields.concurrency);
  return {
    coordinator,
    bucket,
    endpoint,
    ...(partSize !== undefined ? { partSize } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
  };
}
