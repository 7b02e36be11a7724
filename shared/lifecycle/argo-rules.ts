/*
 * Argo's per-artifact OSS `lifecycleRule { markInfrequentAccessAfterDays, markDeletionAfterDays }`,
 * honoured without clobbering the bucket.
 *
 * Argo's driver writes one rule per artifact (ID sha256(key), Prefix key) with PutBucketLifecycle,
 * which replaces the whole configuration: the last artifact wins and every other rule is gone. Even a
 * merging "one rule per key" would hit OSS's 1,000-rule limit after 1,000 artifacts. Instead:
 *
 *   - every object of the artifact is tagged  argo-oss-lifecycle=ia<N>-del<M>
 *     (other tags on the object are kept);
 *   - the bucket gets one rule per distinct (N, M) pair, ID  argo-oss-argo-ia<N>-del<M>, filtered by
 *     that tag and scoped to the artifact root: Transition to IA after N days, Expiration after M days
 *     (0 = that action is absent).
 *
 * So a bucket needs as many rules as there are distinct settings in use - a handful - however many
 * artifacts there are. The rules are only ever added (another artifact may still carry a pair's tag),
 * and are merged under their own sub-prefix, so the declared rules (argo-oss-<id>) and foreign rules
 * are left alone, as these are by the declared-rules reconcile.
 *
 * Validation follows Argo: both 0 → nothing to do; IA after deletion → error. IA on the deletion day
 * itself would be refused by OSS (expiry must come after every transition) and is pointless, so it
 * becomes deletion only. Argo's rule also aborted multipart uploads after M days; OSS refuses that in a
 * tag-filtered rule (and uploads carry no tags), so stale uploads are left to the GC reconcile.
 */
import {
  applyLifecycleRules,
  getObjectTags,
  isOssError,
  isOwnedRule,
  iterateObjectPages,
  mapLimit,
  MAX_OBJECT_TAGS,
  OssArgumentError,
  putObjectTags,
  type LifecycleRule,
  type OssClient,
  type OssError,
} from '../oss';
import { validateArtifactKey } from '../tenancy';
import { ARTIFACT_RULE_PREFIX, MAX_DAYS } from './rules-file';

/** Object tag that selects the per-artifact rule. */
export const ARTIFACT_LIFECYCLE_TAG = 'argo-oss-lifecycle';

/** Argo's OSSLifecycleRule (workflow_types.go). */
export interface ArgoLifecycleRule {
  markInfrequentAccessAfterDays?: number;
  markDeletionAfterDays?: number;
}

export interface ArtifactLifecycleTarget {
  /** An object key, or a directory prefix ending in '/' (every object under it is tagged). */
  key: string;
  rule: ArgoLifecycleRule;
}

/** The effective (IA, deletion) days; 0 = absent. */
export interface LifecyclePair {
  ia: number;
  del: number;
}

export interface ApplyArtifactLifecycleOptions {
  /** Key prefix every target must be under; also the rules' Prefix (default '': the whole bucket). */
  artifactRoot?: string;
  /** Compute what would change; write no rule and no tag. */
  dryRun?: boolean;
  /** Tag requests in flight at once (default 16). */
  concurrency?: number;
  /** Page size when listing a directory target (1..1000, default 1000). */
  pageSize?: number;
  log?: (line: string) => void;
}

export interface ApplyArtifactLifecycleResult {
  /** Objects whose tag was set (or, in a dry run, would be). */
  tagged: number;
  /** Objects that already carried the right tag. */
  alreadyTagged: number;
  /** Whether the bucket's rules were (or, in a dry run, would be) changed. */
  rulesChanged: boolean;
  /** IDs of the rules these targets rely on. */
  rules: string[];
  /** Targets whose days were both 0 (nothing to do, as in Argo). */
  skipped: number;
  /** Target keys with no object (or an empty directory). */
  missing: string[];
  /** Objects that could not be tagged; run again to retry them. */
  failed: { key: string; error: string }[];
}

const DEFAULT_CONCURRENCY = 16;

function days(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_DAYS) {
    throw new OssArgumentError(field, `must be a whole number of days from 0 to ${MAX_DAYS}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Validates Argo's rule like Argo does; null when both days are 0 (no lifecycle). */
export function lifecyclePair(rule: ArgoLifecycleRule, field = 'lifecycleRule'): LifecyclePair | null {
  if (rule === null || typeof rule !== 'object') throw new OssArgumentError(field, 'must be an object { markInfrequentAccessAfterDays, markDeletionAfterDays }');
  const ia = days(rule.markInfrequentAccessAfterDays, `${field}.markInfrequentAccessAfterDays`);
  const del = days(rule.markDeletionAfterDays, `${field}.markDeletionAfterDays`);
  if (ia === 0 && del === 0) return null;
  if (ia > del) throw new OssArgumentError(`${field}.markInfrequentAccessAfterDays`, `must not be larger than markDeletionAfterDays (${ia} > ${del})`);
  return { ia: ia === del ? 0 : ia, del };
}

export function artifactTagValue(pair: LifecyclePair): string {
  return `ia${pair.ia}-del${pair.del}`;
}

export function artifactRuleId(pair: LifecyclePair): string {
  return `${ARTIFACT_RULE_PREFIX}${artifactTagValue(pair)}`;
}

/** The bucket rule for one pair, in ali-oss's read shape (so a stored rule compares equal). */
export function artifactRule(pair: LifecyclePair, artifactRoot = ''): LifecycleRule {
  return {
    id: artifactRuleId(pair),
    prefix: artifactRoot,
    status: 'Enabled',
    tag: [{ key: ARTIFACT_LIFECYCLE_TAG, value: artifactTagValue(pair) }],
    ...(pair.del > 0 ? { expiration: { days: pair.del } } : {}),
    ...(pair.ia > 0 ? { transition: { days: pair.ia, storageClass: 'IA' as const } } : {}),
  };
}

/** The upload key rules (relative, no traversal, outside .argo-oss/, inside the root) as an OssArgumentError. */
function checkKey(key: string, root: string, field: string): void {
  try {
    validateArtifactKey(key, root, field);
  } catch (err) {
    throw new OssArgumentError(field, (err as Error).message.replace(`${field}: `, ''));
  }
}

function checkRoot(root: unknown): string {
  if (root === '') return root;
  if (typeof root !== 'string' || !root.endsWith('/')) throw new OssArgumentError('artifactRoot', `must be '' or a key prefix ending in '/', got ${JSON.stringify(root)}`);
  checkKey(root.slice(0, -1), '', 'artifactRoot');
  return root;
}

/** Validates a target key (a directory prefix ends in '/'): inside the root, outside .argo-oss/. */
function checkTargetKey(key: unknown, root: string, field: string): string {
  if (typeof key !== 'string' || key === '' || key === '/') throw new OssArgumentError(field, 'must be a non-empty object key or directory prefix');
  checkKey(key.endsWith('/') ? key.slice(0, -1) : key, root, field);
  return key;
}

/**
 * Tags the targets' objects and makes sure the bucket has the rule for each (N, M) pair used. Rules
 * are written first, so a tagged object is always covered. Tagging failures are reported per object
 * (and retried by calling again: tagging is idempotent); argument and rule errors throw.
 */
export async function applyArtifactLifecycleRules(
  client: OssClient,
  targets: readonly ArtifactLifecycleTarget[],
  opts: ApplyArtifactLifecycleOptions = {},
): Promise<ApplyArtifactLifecycleResult> {
  const root = checkRoot(opts.artifactRoot ?? '');
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const result: ApplyArtifactLifecycleResult = { tagged: 0, alreadyTagged: 0, rulesChanged: false, rules: [], skipped: 0, missing: [], failed: [] };

  // Validate everything before touching the bucket.
  const work: { key: string; value: string }[] = [];
  const pairs = new Map<string, LifecyclePair>();
  targets.forEach((t, i) => {
    const key = checkTargetKey(t?.key, root, `targets[${i}].key`);
    const pair = lifecyclePair(t.rule, `targets[${i}].rule`);
    if (!pair) {
      result.skipped++;
      return;
    }
    pairs.set(artifactRuleId(pair), pair);
    work.push({ key, value: artifactTagValue(pair) });
  });
  if (work.length === 0) return result;
  result.rules = [...pairs.keys()].sort();

  // Add our pairs to the per-artifact rules already there (never remove one: objects may carry it).
  const wanted = [...pairs.values()].map((p) => artifactRule(p, root));
  const applied = await applyLifecycleRules(
    client,
    (current) => {
      const ids = new Set(wanted.map((r) => r.id));
      return [...current.filter((r) => isOwnedRule(r, ARTIFACT_RULE_PREFIX) && !ids.has(r.id as string)), ...wanted];
    },
    { ownedPrefix: ARTIFACT_RULE_PREFIX, dryRun: opts.dryRun },
  );
  result.rulesChanged = applied.changed;
  if (applied.changed) opts.log?.(`lifecycle: ${opts.dryRun ? 'would add' : 'added'} ${applied.added.join(', ') || '-'}${applied.updated.length ? `, updated ${applied.updated.join(', ')}` : ''}`);

  const tagOne = async (key: string, value: string): Promise<boolean> => {
    let tags: Record<string, string>;
    try {
      tags = await getObjectTags(client, key);
    } catch (err) {
      if (isOssError(err, 'NotFound')) return false;
      result.failed.push({ key, error: (err as OssError).message });
      return true;
    }
    if (tags[ARTIFACT_LIFECYCLE_TAG] === value) {
      result.alreadyTagged++;
      return true;
    }
    const next = { ...tags, [ARTIFACT_LIFECYCLE_TAG]: value };
    if (Object.keys(next).length > MAX_OBJECT_TAGS) {
      result.failed.push({ key, error: `the object already has ${MAX_OBJECT_TAGS} tags; OSS allows no more` });
      return true;
    }
    if (!opts.dryRun) {
      try {
        await putObjectTags(client, key, next);
      } catch (err) {
        if (isOssError(err, 'NotFound')) return false; // deleted meanwhile
        result.failed.push({ key, error: (err as OssError).message });
        return true;
      }
    }
    result.tagged++;
    return true;
  };

  for (const { key, value } of work) {
    if (!key.endsWith('/')) {
      if (!(await tagOne(key, value))) result.missing.push(key);
      continue;
    }
    let found = 0;
    for await (const page of iterateObjectPages(client, { prefix: key, maxKeys: opts.pageSize })) {
      const seen = await mapLimit(page.objects, concurrency, (o) => tagOne(o.key, value));
      found += seen.filter(Boolean).length;
    }
    if (found === 0) result.missing.push(key);
  }
  return result;
}
