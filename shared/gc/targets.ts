// From an artifact's location to what GC deletes, and the safety rules every target must pass. Pure.
//
// - A key ending in '/' is a directory: delete the prefix (the key itself, ending in '/').
// - `archive: none` without a trailing '/' may be one object or a directory `key/…` (Argo uploads a
//   directory as `key/` marker + `key/<files>`): decided when executing (HEAD key, else list `key/`).
// - Anything else (Argo's default .tgz, zip) is exactly one object.
// Prefix deletes always use `key/`, never a bare `key` prefix that would also match `keyfoo`.
//
// Refused (audited, never deleted): other buckets or endpoints, keys outside the artifact root, the
// reserved `.argo-oss/` prefix, empty / root prefixes, '..', '.', '//', '\' and control characters,
// and a prefix that would also delete another live artifact of this workflow. Whose key it is at all
// is the ownership rule's business (ownership.ts).
import { assertServed, ArgoError, type Artifact, type ResolvedLocation, type ServedStorage } from '../argo';
import { HttpError } from '../http/errors';
import { validateArtifactKey } from '../tenancy';
import type { DeleteTarget } from './types';

export function targetFor(location: ResolvedLocation, artifact: Artifact): DeleteTarget {
  const key = location.key;
  if (key.endsWith('/')) return { kind: 'prefix', prefix: key };
  if (artifact.archive && typeof artifact.archive === 'object' && 'none' in artifact.archive) return { kind: 'auto', key };
  return { kind: 'object', key };
}

/** The key a target names, and the prefix it may delete (objects: none). */
export function targetKey(t: DeleteTarget): string {
  return t.kind === 'prefix' ? t.prefix : t.key;
}

/** The directory prefix a target may delete: prefix targets, and auto targets that turn out to be directories. */
export function targetPrefix(t: DeleteTarget): string | undefined {
  return t.kind === 'prefix' ? t.prefix : t.kind === 'auto' ? `${t.key}/` : undefined;
}

export function describeTarget(t: DeleteTarget): string {
  return t.kind === 'object' ? t.key : t.kind === 'prefix' ? `${t.prefix}*` : `${t.key} (object or ${t.key}/*)`;
}

export interface SafetyOptions {
  served: ServedStorage;
  /** ARGO_OSS_ARTIFACT_ROOT ('' or ending in '/'). */
  artifactRoot: string;
}

/** Why a location/target must not be deleted, or undefined when it is safe on its own. */
export function unsafeReason(location: ResolvedLocation, target: DeleteTarget, opts: SafetyOptions): string | undefined {
  try {
    assertServed(location, opts.served);
  } catch (err) {
    if (err instanceof ArgoError) return err.message;
    throw err;
  }
  const key = targetKey(target);
  // A prefix is checked as the directory key it stands for ('a/b/' → 'a/b'); '' and '/' stay empty.
  const checked = target.kind === 'prefix' ? key.slice(0, -1) : key;
  if (target.kind === 'prefix' && (checked === '' || checked.endsWith('/'))) {
    return checked === '' ? 'refusing an empty or root prefix (the whole bucket)' : `key ${JSON.stringify(key)}: must not have empty path segments`;
  }
  try {
    validateArtifactKey(checked, opts.artifactRoot, 'key');
  } catch (err) {
    if (err instanceof HttpError) return `key ${JSON.stringify(key)}: ${err.message.replace(/^key: /, '')}`;
    throw err;
  }
  return undefined;
}

const strip = (k: string) => k.replace(/\/+$/, '');

/**
 * Does deleting `prefix` (ending in '/') touch the artifact at `other`? True when `other` lies inside
 * the prefix, or the prefix lies inside `other` taken as a directory. `sameArtifact` keys (identical
 * once trailing slashes are ignored) are the same data and do not count.
 */
export function prefixOverlaps(prefix: string, other: string, sameArtifact: boolean): boolean {
  const o = strip(other);
  const p = strip(prefix);
  if (o === '') return false;
  if (o === p) return !sameArtifact;
  return `${o}/`.startsWith(prefix) || prefix.startsWith(`${o}/`);
}
