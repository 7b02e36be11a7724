// Whose key is it? The one rule every GC deletion and every lifecycle tag passes (issue 10, model item 5):
//
//   A target of workflow W (namespace, name, uid) may be deleted or tagged only if
//   - it lies under W's own prefix: ARGO_OSS_ARTIFACT_ROOT + ARGO_OSS_WORKFLOW_KEY_PREFIX rendered for W
//     (default <root><namespace>/<name>/); in single-tenant mode also the legacy <root><name>/; or
//   - it is a single object whose recorded owner (OSS user metadata, set by the coordinator at write
//     time; shared/tenancy/owner.ts) is W: same namespace, name AND uid — proven with one HEAD.
//   A prefix (a directory) outside the own prefix is never deleted, whoever it seems to belong to.
//
// Nothing here trusts the Workflow's status: a status may name any key (users can write it), and what
// other workflows' statuses list proves nothing either. Refusals carry one reason whether or not the
// object exists. The pure half (ownershipOf) runs at planning time so refusals are audited once and
// never enter the ledger; the I/O half (authoriseTargets) runs right before every delete or tag, so
// ledger entries written by older versions pass the same rule.
//
// Known window: OSS has no conditional delete, so an object outside W's prefix proven W's by HEAD could
// be overwritten by its prefix's owner before the DeleteObject that follows (milliseconds).
import type { Config } from '../config';
import { headObject, isOssError, mapLimit, type OssClient } from '../oss';
import { isSameWorkflow, isUnder, recordedOwner, workflowPrefix, type KeySpace, type WorkflowIdentity } from '../tenancy';
import type { DeleteTarget } from './types';

export interface OwnershipRule {
  /** ARGO_OSS_ARTIFACT_ROOT and ARGO_OSS_WORKFLOW_KEY_PREFIX. */
  keySpace: KeySpace;
  /** ARGO_OSS_SINGLE_TENANT: `<root><name>/` (Argo's default keyFormat) also counts as the workflow's own. */
  singleTenant: boolean;
}

/** The rule as configured (ARGO_OSS_ARTIFACT_ROOT, ARGO_OSS_WORKFLOW_KEY_PREFIX, ARGO_OSS_SINGLE_TENANT). */
export function ownershipRule(config: Pick<Config, 'artifactRoot' | 'workflowKeyPrefix'> & Partial<{ singleTenant: boolean }>): OwnershipRule {
  return { keySpace: { artifactRoot: config.artifactRoot, workflowKeyPrefix: config.workflowKeyPrefix }, singleTenant: config.singleTenant ?? false };
}

/** The prefixes W's GC may delete under (each ends in '/'); empty when W's names are not Kubernetes names. */
export function ownPrefixes(rule: OwnershipRule, wf: WorkflowIdentity): string[] {
  let own: string;
  try {
    own = workflowPrefix(rule.keySpace, wf);
  } catch {
    return [];
  }
  if (!rule.singleTenant) return [own];
  const legacy = workflowPrefix({ artifactRoot: rule.keySpace.artifactRoot, workflowKeyPrefix: '{{workflow.name}}/' }, wf);
  return legacy === own ? [own] : [own, legacy];
}

/** What the rule says without I/O: inside the own prefix, to be proven by the recorded owner, or refused. */
export type Ownership = { kind: 'own' } | { kind: 'prove'; key: string } | { kind: 'refuse'; reason: string };

const describeOwn = (own: string[]) => (own.length === 0 ? '(none: invalid workflow name)' : own.join(' or '));

export function ownershipOf(target: DeleteTarget, wf: WorkflowIdentity, rule: OwnershipRule): Ownership {
  const own = ownPrefixes(rule, wf);
  if (target.kind === 'prefix') {
    if (own.some((o) => target.prefix.startsWith(o))) return { kind: 'own' };
    return { kind: 'refuse', reason: `prefix ${target.prefix} is outside the workflow's own prefix ${describeOwn(own)}: a directory is deleted only there` };
  }
  // An `auto` target may turn out to be the directory key/…: own only if that directory is.
  const key = target.key;
  if (target.kind === 'auto' ? own.some((o) => `${key}/`.startsWith(o)) : own.some((o) => isUnder(key, o))) return { kind: 'own' };
  return { kind: 'prove', key };
}

/** Why a key outside the own prefix is not deleted: one answer whether the object is missing, unowned or another's. */
export function notProvenReason(key: string, wf: WorkflowIdentity, rule: OwnershipRule): string {
  return `${key} is outside the workflow's own prefix ${describeOwn(ownPrefixes(rule, wf))} and is not an object recorded as written by it (${wf.namespace}/${wf.name}, uid ${wf.uid})`;
}

export type Authorisation =
  /** Go ahead with `target` (an auto target proven by its recorded owner becomes that one object). */
  | { ok: true; target: DeleteTarget; proven: boolean }
  /** Refused by the rule: audit, never retry. */
  | { ok: false; refused: true; reason: string }
  /** The HEAD failed (not NotFound): retry later. */
  | { ok: false; refused: false; error: string };

/**
 * Applies the rule to each target of `wf`, with one HEAD per target outside the own prefix (bounded
 * concurrency). Results are in the order of `targets`.
 */
export async function authoriseTargets(oss: OssClient, wf: WorkflowIdentity, targets: readonly DeleteTarget[], rule: OwnershipRule, concurrency = 8): Promise<Authorisation[]> {
  return mapLimit(targets, concurrency, async (target): Promise<Authorisation> => {
    const o = ownershipOf(target, wf, rule);
    if (o.kind === 'own') return { ok: true, target, proven: false };
    if (o.kind === 'refuse') return { ok: false, refused: true, reason: o.reason };
    let owner: WorkflowIdentity | undefined;
    try {
      owner = recordedOwner((await headObject(oss, o.key)).meta);
    } catch (err) {
      if (!isOssError(err, 'NotFound')) return { ok: false, refused: false, error: (err as Error).message };
    }
    if (owner && isSameWorkflow(owner, wf)) return { ok: true, target: { kind: 'object', key: o.key }, proven: true };
    return { ok: false, refused: true, reason: notProvenReason(o.key, wf, rule) };
  });
}
