// Bucket lifecycle: PUT/GET/DELETE ?lifecycle with OSS's validation (parsed order-insensitively),
// and `applyLifecycle`, which runs the rules "as of" a given time for tests: expiration,
// storage-class transitions and aborting stale multipart uploads.
import { readSmallBody } from './body';
import { sendEmpty, sendXml, type Ctx } from './context';
import { OssError, errors } from './errors';
import type { ObjectRecord, Store, StorageClass } from './store';
import type { Tags } from './tagging';
import { parseXml, xmlChild, xmlChildren, xmlDocument, xmlText, type XmlChild, type XmlObject } from './xml';

export const COLD_CLASSES = ['IA', 'Archive', 'ColdArchive', 'DeepColdArchive'] as const;
type ColdClass = (typeof COLD_CLASSES)[number];
const CLASS_RANK: Record<StorageClass, number> = { Standard: 0, IA: 1, Archive: 2, ColdArchive: 3, DeepColdArchive: 4 };

export interface When {
  days?: number;
  createdBeforeDate?: string;
}

export interface LifecycleRule {
  id: string;
  prefix: string;
  status: 'Enabled' | 'Disabled';
  tags: Tags;
  /** <Filter>: exclusions and object-size bounds (OSS extension; ali-oss 6.x cannot send it). */
  filter?: { not?: { prefix: string; tag?: [string, string] }; sizeGreaterThan?: number; sizeLessThan?: number };
  expiration?: When & { expiredObjectDeleteMarker?: boolean };
  transitions: (When & { storageClass: ColdClass })[];
  abortMultipartUpload?: When;
  noncurrentVersionExpiration?: { noncurrentDays: number };
  noncurrentVersionTransitions: { noncurrentDays: number; storageClass: ColdClass }[];
}

const MAX_RULES = 1000;
const DAY_MS = 86_400_000;
const TAG_CHARS = /^[A-Za-z0-9 +\-=._:/]*$/;

const invalid = (message: string, ec?: string) => new OssError('InvalidArgument', message, { EC: ec });

function parseDays(text: string, what: string): number {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > 3_650_000) throw invalid(`${what} must be a positive integer.`);
  return n;
}

/** CreatedBeforeDate must be an ISO-8601 UTC midnight, e.g. 2002-10-11T00:00:00.000Z. */
function parseDate(text: string, what: string): string {
  const t = text.trim();
  if (!/^\d{4}-\d{2}-\d{2}T00:00:00(\.000)?Z$/.test(t) || Number.isNaN(Date.parse(t))) {
    throw invalid(`${what} must be an ISO8601 date at UTC midnight, e.g. 2002-10-11T00:00:00.000Z.`);
  }
  return new Date(Date.parse(t)).toISOString();
}

function parseWhen(el: XmlObject, what: string, allowMarker = false): When & { expiredObjectDeleteMarker?: boolean } {
  const days = xmlText(el, 'Days');
  const date = xmlText(el, 'CreatedBeforeDate');
  const marker = allowMarker ? xmlText(el, 'ExpiredObjectDeleteMarker') : undefined;
  const given = [days, date, marker].filter((v) => v !== undefined).length;
  if (given !== 1) throw invalid(`${what} needs exactly one of Days or CreatedBeforeDate${allowMarker ? ' or ExpiredObjectDeleteMarker' : ''}.`);
  if (days !== undefined) return { days: parseDays(days, `${what} Days`) };
  if (date !== undefined) return { createdBeforeDate: parseDate(date, `${what} CreatedBeforeDate`) };
  const m = marker!.trim().toLowerCase();
  if (m !== 'true' && m !== 'false') throw invalid('ExpiredObjectDeleteMarker must be true or false.');
  return { expiredObjectDeleteMarker: m === 'true' };
}

function parseColdClass(text: string | undefined, what: string): ColdClass {
  const c = COLD_CLASSES.find((k) => k === (text ?? '').trim());
  if (!c) throw invalid(`${what} StorageClass must be one of ${COLD_CLASSES.join(', ')}.`);
  return c;
}

function parseTag(el: XmlObject): [string, string] {
  const k = xmlText(el, 'Key');
  const v = xmlText(el, 'Value') ?? '';
  if (k === undefined || k.length < 1 || k.length > 128 || v.length > 256 || !TAG_CHARS.test(k) || !TAG_CHARS.test(v)) {
    throw invalid('Invalid tag in lifecycle rule.', '0014-00000031');
  }
  return [k, v];
}

function parseRule(el: XmlObject, index: number): LifecycleRule {
  const id = (xmlText(el, 'ID') ?? '').trim();
  if (Buffer.byteLength(id) > 255) throw invalid('Rule ID must be at most 255 bytes.');
  const status = (xmlText(el, 'Status') ?? '').trim();
  if (status !== 'Enabled' && status !== 'Disabled') throw errors.malformedXml('Rule Status must be Enabled or Disabled.');
  const prefix = xmlText(el, 'Prefix') ?? '';
  const tags = xmlChildren(el, 'Tag').map(parseTag);
  if (new Set(tags.map(([k]) => k)).size !== tags.length) throw invalid('Tag keys in a rule must be unique.');
  const rule: LifecycleRule = {
    id: id || `rule-${index + 1}-${Date.now().toString(36)}`,
    prefix,
    status,
    tags,
    transitions: [],
    noncurrentVersionTransitions: [],
  };
  const filter = xmlChild(el, 'Filter');
  if (filter) {
    const f: NonNullable<LifecycleRule['filter']> = {};
    const not = xmlChild(filter, 'Not');
    if (not) {
      const notTag = xmlChildren(not, 'Tag');
      f.not = { prefix: xmlText(not, 'Prefix') ?? '', ...(notTag.length ? { tag: parseTag(notTag[0]) } : {}) };
      if (!f.not.prefix.startsWith(prefix)) throw invalid('Filter Not Prefix must start with the rule Prefix.');
    }
    const gt = xmlText(filter, 'ObjectSizeGreaterThan');
    const lt = xmlText(filter, 'ObjectSizeLessThan');
    if (gt !== undefined) f.sizeGreaterThan = parseDays(gt, 'ObjectSizeGreaterThan');
    if (lt !== undefined) f.sizeLessThan = parseDays(lt, 'ObjectSizeLessThan');
    rule.filter = f;
  }
  const exp = xmlChild(el, 'Expiration');
  if (exp) rule.expiration = parseWhen(exp, 'Expiration', true);
  for (const t of xmlChildren(el, 'Transition')) {
    rule.transitions.push({ ...parseWhen(t, 'Transition'), storageClass: parseColdClass(xmlText(t, 'StorageClass'), 'Transition') });
  }
  const abort = xmlChild(el, 'AbortMultipartUpload');
  if (abort) rule.abortMultipartUpload = parseWhen(abort, 'AbortMultipartUpload');
  const nve = xmlChild(el, 'NoncurrentVersionExpiration');
  if (nve) rule.noncurrentVersionExpiration = { noncurrentDays: parseDays(xmlText(nve, 'NoncurrentDays') ?? '', 'NoncurrentDays') };
  for (const t of xmlChildren(el, 'NoncurrentVersionTransition')) {
    rule.noncurrentVersionTransitions.push({
      noncurrentDays: parseDays(xmlText(t, 'NoncurrentDays') ?? '', 'NoncurrentDays'),
      storageClass: parseColdClass(xmlText(t, 'StorageClass'), 'NoncurrentVersionTransition'),
    });
  }
  if (!rule.expiration && !rule.transitions.length && !rule.abortMultipartUpload && !rule.noncurrentVersionExpiration && !rule.noncurrentVersionTransitions.length) {
    throw invalid('A rule needs at least one action (Expiration, Transition, AbortMultipartUpload, ...).');
  }
  if (rule.tags.length && rule.abortMultipartUpload) {
    throw invalid('Tag cannot be used with AbortMultipartUpload.', '0014-00000037');
  }
  checkRuleTimes(rule);
  return rule;
}

/** Within one rule: colder classes later, expiry after every transition, one way of timing. */
function checkRuleTimes(rule: LifecycleRule): void {
  const ts = rule.transitions;
  if (new Set(ts.map((t) => t.storageClass)).size !== ts.length) throw invalid('A rule cannot transition to the same storage class twice.');
  const timed = [...ts, ...(rule.expiration && !rule.expiration.expiredObjectDeleteMarker ? [rule.expiration] : [])];
  if (timed.some((t) => t.days !== undefined) && timed.some((t) => t.createdBeforeDate !== undefined)) {
    throw invalid('Days and CreatedBeforeDate cannot be mixed within a rule.');
  }
  checkOrdering(ts, rule.expiration);
}

const timeOf = (w: When): number => (w.days !== undefined ? w.days : Date.parse(w.createdBeforeDate!) / DAY_MS);

/** Colder classes must come later; expiration must come after every transition. */
function checkOrdering(ts: (When & { storageClass: ColdClass })[], exp: LifecycleRule['expiration'], ec?: string): void {
  const sorted = [...ts].sort((a, b) => CLASS_RANK[a.storageClass] - CLASS_RANK[b.storageClass]);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if ((a.days === undefined) !== (b.days === undefined)) continue;
    // Days: colder must be later. CreatedBeforeDate: colder applies to older objects (earlier date).
    const ok = a.days !== undefined ? timeOf(b) > timeOf(a) : timeOf(b) < timeOf(a);
    if (!ok) throw invalid(`Transition to ${b.storageClass} must happen after transition to ${a.storageClass}.`, ec);
  }
  if (exp && !exp.expiredObjectDeleteMarker) {
    for (const t of ts) {
      if ((t.days === undefined) !== (exp.days === undefined)) continue;
      const ok = exp.days !== undefined ? timeOf(exp) > timeOf(t) : timeOf(exp) < timeOf(t);
      if (!ok) throw invalid('Expiration must happen after every transition.', ec);
    }
  }
}

/**
 * Rules without tags/filters whose prefixes overlap are checked the way OSS documents it
 * (0014-00000079/80/82/84/85); tagged or filtered rules are accepted as they are.
 */
function checkOverlaps(rules: LifecycleRule[]): void {
  const plain = rules.filter((r) => r.tags.length === 0 && !r.filter);
  for (let i = 0; i < plain.length; i++) {
    for (let j = i + 1; j < plain.length; j++) {
      const a = plain[i];
      const b = plain[j];
      if (a.prefix === b.prefix) throw invalid(`Rules ${a.id} and ${b.id} have the same prefix.`, '0014-00000085');
      if (!a.prefix.startsWith(b.prefix) && !b.prefix.startsWith(a.prefix)) continue;
      const both = (f: (r: LifecycleRule) => unknown) => Boolean(f(a)) && Boolean(f(b));
      if (both((r) => r.expiration) || both((r) => r.abortMultipartUpload) || both((r) => r.noncurrentVersionExpiration)) {
        throw invalid(`Rules ${a.id} and ${b.id} have overlapping prefixes and the same action.`, '0014-00000084');
      }
      if (a.transitions.some((t) => b.transitions.some((u) => u.storageClass === t.storageClass))) {
        throw invalid(`Rules ${a.id} and ${b.id} have overlapping prefixes and transition to the same storage class.`, '0014-00000079');
      }
      const ts = [...a.transitions, ...b.transitions];
      if (ts.some((t) => t.days !== undefined) && ts.some((t) => t.createdBeforeDate !== undefined)) {
        throw invalid(`Rules ${a.id} and ${b.id} have overlapping prefixes and mix Days with CreatedBeforeDate.`, '0014-00000080');
      }
      checkOrdering(ts, a.expiration ?? b.expiration, '0014-00000082');
    }
  }
}

export function parseLifecycleXml(text: string): LifecycleRule[] {
  const doc = parseXml(text);
  const root = xmlChild(doc, 'LifecycleConfiguration');
  if (!root) throw errors.malformedXml();
  const ruleEls = xmlChildren(root, 'Rule');
  if (ruleEls.length === 0) throw errors.malformedXml('LifecycleConfiguration needs at least one Rule.');
  if (ruleEls.length > MAX_RULES) throw invalid(`At most ${MAX_RULES} lifecycle rules are allowed.`);
  const rules = ruleEls.map(parseRule);
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.id)) throw invalid(`Duplicate rule ID: ${r.id}`);
    ids.add(r.id);
  }
  checkOverlaps(rules);
  return rules;
}

function whenXml(name: string, w: When & { expiredObjectDeleteMarker?: boolean; storageClass?: string }): XmlChild {
  return [
    name,
    [
      w.days !== undefined && ['Days', w.days],
      w.createdBeforeDate !== undefined && ['CreatedBeforeDate', w.createdBeforeDate],
      w.expiredObjectDeleteMarker !== undefined && ['ExpiredObjectDeleteMarker', w.expiredObjectDeleteMarker],
      w.storageClass !== undefined && ['StorageClass', w.storageClass],
    ],
  ];
}

export function lifecycleXml(rules: LifecycleRule[]): string {
  return xmlDocument([
    'LifecycleConfiguration',
    rules.map(
      (r) =>
        [
          'Rule',
          [
            ['ID', r.id],
            ['Prefix', r.prefix],
            ['Status', r.status],
            ...r.tags.map(([k, v]) => ['Tag', [['Key', k], ['Value', v]]] as const),
            r.filter && [
              'Filter',
              [
                r.filter.not && [
                  'Not',
                  [['Prefix', r.filter.not.prefix], r.filter.not.tag && ['Tag', [['Key', r.filter.not.tag[0]], ['Value', r.filter.not.tag[1]]]]],
                ],
                r.filter.sizeGreaterThan !== undefined && ['ObjectSizeGreaterThan', r.filter.sizeGreaterThan],
                r.filter.sizeLessThan !== undefined && ['ObjectSizeLessThan', r.filter.sizeLessThan],
              ],
            ],
            r.expiration && whenXml('Expiration', r.expiration),
            ...r.transitions.map((t) => whenXml('Transition', t)),
            r.abortMultipartUpload && whenXml('AbortMultipartUpload', r.abortMultipartUpload),
            r.noncurrentVersionExpiration && ['NoncurrentVersionExpiration', [['NoncurrentDays', r.noncurrentVersionExpiration.noncurrentDays]]],
            ...r.noncurrentVersionTransitions.map(
              (t) => ['NoncurrentVersionTransition', [['NoncurrentDays', t.noncurrentDays], ['StorageClass', t.storageClass]]] as const,
            ),
          ],
        ] as const,
    ),
  ]);
}

// ---- handlers -------------------------------------------------------------------------------

export async function putBucketLifecycle(ctx: Ctx): Promise<void> {
  const bucket = ctx.route.bucket!;
  ctx.store.requireBucket(bucket);
  const body = await readSmallBody(ctx.body(), 1024 * 1024);
  const rules = parseLifecycleXml(body.toString('utf8'));
  await ctx.store.setLifecycle(bucket, rules);
  sendEmpty(ctx, 200);
}

export function getBucketLifecycle(ctx: Ctx): void {
  const bucket = ctx.route.bucket!;
  const rules = ctx.store.requireBucket(bucket).lifecycle as LifecycleRule[] | undefined;
  if (!rules) throw new OssError('NoSuchLifecycle', 'No Row found in Lifecycle Table.', { BucketName: bucket });
  sendXml(ctx, 200, lifecycleXml(rules));
}

export async function deleteBucketLifecycle(ctx: Ctx): Promise<void> {
  const bucket = ctx.route.bucket!;
  ctx.store.requireBucket(bucket);
  await ctx.store.setLifecycle(bucket, undefined);
  sendEmpty(ctx, 204);
}

// ---- applying rules -------------------------------------------------------------------------

export interface LifecycleReport {
  expired: { bucket: string; key: string; rule: string }[];
  transitioned: { bucket: string; key: string; storageClass: StorageClass; rule: string }[];
  aborted: { bucket: string; key: string; uploadId: string; rule: string }[];
}

/** Due when `days` whole days have passed since `since`, or `since` is before CreatedBeforeDate. */
function due(w: When, since: number, now: number): boolean {
  if (w.days !== undefined) return now >= since + w.days * DAY_MS;
  if (w.createdBeforeDate !== undefined) return since < Date.parse(w.createdBeforeDate);
  return false;
}

function matches(rule: LifecycleRule, o: ObjectRecord): boolean {
  if (!o.key.startsWith(rule.prefix)) return false;
  for (const [k, v] of rule.tags) if (!o.tags.some(([tk, tv]) => tk === k && tv === v)) return false;
  const f = rule.filter;
  if (f) {
    if (f.not && o.key.startsWith(f.not.prefix)) {
      const t = f.not.tag;
      if (!t || o.tags.some(([k, v]) => k === t[0] && v === t[1])) return false;
    }
    if (f.sizeGreaterThan !== undefined && !(o.size > f.sizeGreaterThan)) return false;
    if (f.sizeLessThan !== undefined && !(o.size < f.sizeLessThan)) return false;
  }
  return true;
}

/**
 * Runs every enabled rule once as of `now`. Days count from Last-Modified (objects) or initiation
 * (uploads) in whole 24-hour periods; OSS's daily batch timing is not modelled.
 */
export async function applyLifecycle(store: Store, opts: { bucket?: string; now: Date }): Promise<LifecycleReport> {
  const report: LifecycleReport = { expired: [], transitioned: [], aborted: [] };
  const now = opts.now.getTime();
  const buckets = opts.bucket ? [store.requireBucket(opts.bucket)] : store.listBuckets().map((r) => store.requireBucket(r.name));
  for (const b of buckets) {
    const rules = ((b.lifecycle as LifecycleRule[] | undefined) ?? []).filter((r) => r.status === 'Enabled');
    if (!rules.length) continue;
    const name = b.record.name;
    for (const o of [...b.objects.values()]) {
      const applicable = rules.filter((r) => matches(r, o));
      const expiring = applicable.find((r) => r.expiration && !r.expiration.expiredObjectDeleteMarker && due(r.expiration, o.lastModified, now));
      if (expiring) {
        if (await store.deleteObject(name, o.key)) report.expired.push({ bucket: name, key: o.key, rule: expiring.id });
        continue;
      }
      let target: { storageClass: ColdClass; rule: string } | undefined;
      for (const r of applicable) {
        for (const t of r.transitions) {
          if (!due(t, o.lastModified, now)) continue;
          if (CLASS_RANK[t.storageClass] <= CLASS_RANK[o.storageClass]) continue;
          if (!target || CLASS_RANK[t.storageClass] > CLASS_RANK[target.storageClass]) target = { storageClass: t.storageClass, rule: r.id };
        }
      }
      if (target) {
        const cls = target.storageClass;
        await store.updateObject(name, o.key, (rec) => ({ ...rec, storageClass: cls }));
        report.transitioned.push({ bucket: name, key: o.key, storageClass: cls, rule: target.rule });
      }
    }
    for (const u of store.listUploads(name)) {
      const rule = rules.find((r) => r.abortMultipartUpload && u.key.startsWith(r.prefix) && due(r.abortMultipartUpload, u.initiated, now));
      if (!rule) continue;
      try {
        await store.abortUpload(name, u.key, u.uploadId);
        report.aborted.push({ bucket: name, key: u.key, uploadId: u.uploadId, rule: rule.id });
      } catch {
        // completed or aborted concurrently
      }
    }
  }
  return report;
}
