// Object tagging: the x-oss-tagging header (URL-encoded k=v&k2=v2), the ?tagging XML documents,
// and the OSS limits (10 tags per object, key 1-128 chars, value 0-256 chars, restricted charset).
import { readSmallBody } from './body';
import { sendEmpty, sendXml, type Ctx } from './context';
import { OssError, errors } from './errors';
import { parseXml, xmlChild, xmlChildren, xmlDocument, xmlText } from './xml';

export type Tags = [string, string][];

const MAX_TAGS = 10;
const ALLOWED = /^[A-Za-z0-9 +\-=._:/]*$/;

function invalidTag(message: string, details: Record<string, string> = {}): OssError {
  return new OssError('InvalidTag', message, details, 400);
}

export function validateTags(tags: Tags): Tags {
  if (tags.length > MAX_TAGS) throw invalidTag(`Object tags cannot be greater than ${MAX_TAGS}.`);
  const seen = new Set<string>();
  for (const [k, v] of tags) {
    if (k.length < 1 || k.length > 128) throw invalidTag('The tag key must be 1 to 128 characters long.', { TagKey: k });
    if (v.length > 256) throw invalidTag('The tag value must be at most 256 characters long.', { TagKey: k });
    if (!ALLOWED.test(k) || !ALLOWED.test(v)) {
      throw invalidTag('Tag keys and values may contain letters, digits, spaces and + - = . _ : /', { TagKey: k });
    }
    if (seen.has(k)) throw invalidTag('Tag keys must be unique.', { TagKey: k });
    seen.add(k);
  }
  return tags;
}

/** Parses the x-oss-tagging request header. */
export function parseTaggingHeader(value: string | undefined): Tags {
  if (value === undefined || value === '') return [];
  const tags: Tags = [];
  for (const pair of value.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    try {
      const k = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
      tags.push([k, v]);
    } catch {
      throw invalidTag('The x-oss-tagging header is not valid URL-encoded text.');
    }
  }
  return validateTags(tags);
}

/** Parses <Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>. */
export function parseTaggingXml(body: string): Tags {
  const doc = parseXml(body);
  const tagging = xmlChild(doc, 'Tagging');
  if (!tagging) throw errors.malformedXml();
  const tagSet = xmlChild(tagging, 'TagSet') ?? {};
  const tags: Tags = xmlChildren(tagSet, 'Tag').map((t) => {
    const k = xmlText(t, 'Key');
    if (k === undefined) throw errors.malformedXml('Each Tag needs a Key.');
    return [k, xmlText(t, 'Value') ?? ''];
  });
  return validateTags(tags);
}

export function taggingXml(tags: Tags): string {
  return xmlDocument([
    'Tagging',
    [['TagSet', tags.map(([k, v]) => ['Tag', [['Key', k], ['Value', v]]] as const)]],
  ]);
}

// ---- handlers (?tagging on an object) --------------------------------------------------------

function taggedObject(ctx: Ctx) {
  const rec = ctx.store.getObject(ctx.route.bucket!, ctx.route.key!);
  if (!rec) throw errors.noSuchKey(ctx.route.key!);
  return rec;
}

export async function putObjectTagging(ctx: Ctx): Promise<void> {
  taggedObject(ctx);
  const tags = parseTaggingXml((await readSmallBody(ctx.body(), 64 * 1024)).toString('utf8'));
  await ctx.store.updateObject(ctx.route.bucket!, ctx.route.key!, (r) => ({ ...r, tags }));
  sendEmpty(ctx, 200);
}

export function getObjectTagging(ctx: Ctx): void {
  sendXml(ctx, 200, taggingXml(taggedObject(ctx).tags));
}

export async function deleteObjectTagging(ctx: Ctx): Promise<void> {
  taggedObject(ctx);
  await ctx.store.updateObject(ctx.route.bucket!, ctx.route.key!, (r) => ({ ...r, tags: [] }));
  sendEmpty(ctx, 204);
}
