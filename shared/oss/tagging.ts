// Object tagging (GetObjectTagging / PutObjectTagging / DeleteObjectTagging).
import type { CallOptions, OssClient } from './client';
import { ossCall } from './errors';
import { validateKey, validateTags } from './validate';

export type ObjectTags = Record<string, string>;

const ctx = (client: OssClient, operation: string, key: string) => ({ operation, bucket: client.bucket, key });

/** The object's tags ({} when it has none); a missing object is kind 'NotFound'. */
export async function getObjectTags(client: OssClient, key: string, options: CallOptions = {}): Promise<ObjectTags> {
  validateKey(key);
  const r = await ossCall(ctx(client, 'getObjectTags', key), () => client.sdk.getObjectTagging(key, { timeout: client.timeoutFor(options) }));
  // xml2js turns an empty <Value/> into '' and a lone tag into an object; ali-oss flattens both.
  const tags: ObjectTags = {};
  for (const [k, v] of Object.entries(r.tag ?? {})) tags[k] = typeof v === 'string' ? v : '';
  return tags;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** PutObjectTagging body. */
export function taggingXml(tags: ObjectTags): string {
  const items = Object.entries(tags)
    .map(([k, v]) => `<Tag><Key>${escapeXml(k)}</Key><Value>${escapeXml(v)}</Value></Tag>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Tagging><TagSet>${items}</TagSet></Tagging>`;
}

/**
 * Replaces all tags of the object (at most 10; keys 1-128, values 0-256 chars of [A-Za-z0-9 +-=._:/]).
 * Sent through the SDK's generic request because ali-oss's putObjectTagging refuses empty values,
 * which OSS allows.
 */
export async function putObjectTags(client: OssClient, key: string, tags: ObjectTags, options: CallOptions = {}): Promise<void> {
  validateKey(key);
  validateTags(tags);
  await ossCall(ctx(client, 'putObjectTags', key), () =>
    client.sdk.request({
      method: 'PUT',
      bucket: client.bucket,
      object: key,
      subres: { tagging: '' },
      content: taggingXml(tags),
      mime: 'xml',
      successStatuses: [200],
      timeout: client.timeoutFor(options),
    }),
  );
}

export async function deleteObjectTags(client: OssClient, key: string, options: CallOptions = {}): Promise<void> {
  validateKey(key);
  await ossCall(ctx(client, 'deleteObjectTags', key), () => client.sdk.deleteObjectTagging(key, { timeout: client.timeoutFor(options) }));
}
