// Argo's per-artifact `oss.lifecycleRule` (markInfrequentAccessAfterDays / markDeletionAfterDays) for
// the artifacts a completion keeps: the artifact's own rule, else its template archiveLocation's, else
// the repository's (Argo's Relocate copies the repository's OSS block, rule included). Pure; the
// targets pass the GC's ownership rule (ownership.ts) before anything is tagged, and the rules are
// applied by shared/lifecycle without clobbering the bucket's other rules.
import { findTemplate, resolveArtifactLocation, type OssLifecycleRule, type Workflow } from '../argo';
import type { GcCandidate } from './strategy';
import { targetFor, unsafeReason, type SafetyOptions } from './targets';
import type { DeleteTarget } from './types';

export interface LifecycleTarget {
  node: string;
  artifact: string;
  /** The artifact's key. */
  key: string;
  /** What its objects are: one object, a directory, or either (archive: none). */
  target: DeleteTarget;
  rule: OssLifecycleRule;
}

function ruleOf(v: unknown): OssLifecycleRule | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const r = v as OssLifecycleRule;
  return (r.markInfrequentAccessAfterDays ?? 0) > 0 || (r.markDeletionAfterDays ?? 0) > 0 ? r : undefined;
}

/** Targets for the candidates not being deleted now (`skip` names them by node/artifact). */
export function lifecycleTargets(wf: Workflow, candidates: readonly GcCandidate[], reclaimedNow: ReadonlySet<string>, opts: SafetyOptions): LifecycleTarget[] {
  const out: LifecycleTarget[] = [];
  for (const c of candidates) {
    if (c.artifact.deleted || reclaimedNow.has(`${c.node}/${c.artifact.name}`)) continue;
    const rule =
      ruleOf(c.artifact.oss?.lifecycleRule) ??
      ruleOf(findTemplate(wf, c.nodeStatus)?.archiveLocation?.oss?.lifecycleRule) ??
      ruleOf(wf.status?.artifactRepositoryRef?.artifactRepository?.oss?.lifecycleRule);
    if (!rule) continue;
    let location;
    try {
      location = resolveArtifactLocation(wf, c.nodeStatus, c.artifact, opts.served);
    } catch {
      continue;
    }
    const target = targetFor(location, c.artifact);
    if (unsafeReason(location, target, opts)) continue;
    out.push({ node: c.node, artifact: c.artifact.name, key: location.key, target, rule });
  }
  return out;
}
