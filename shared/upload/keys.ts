// Object-key rules for uploads (pure): what a key may look like, and which keys a workflow may write.
import { HttpError, invalidArgument } from '../http/errors';

/** Bookkeeping (upload manifests, GC ledger, audit log) lives here; no caller may write into it. */
export const RESERVED_PREFIX = '.argo-oss/';

// C0 controls and DEL; OSS accepts some of them, but they break logs, shells and XML listings.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Validates an artifact key: non-empty, ≤ 1023 UTF-8 bytes, relative, no '\', no empty / '.' / '..'
 * segments (so no traversal or aliasing: `a/../b`, `a//b` and `a/` are refused), no control characters,
 * outside the reserved prefix and inside the artifact root. Throws 400 InvalidArgument (field `field`).
 */
export function validateArtifactKey(key: unknown, artifactRoot = '', field = 'key'): string {
  if (typeof key !== 'string' || key === '') throw invalidArgument(field, 'is required: a non-empty object key');
  if (Buffer.byteLength(key, 'utf8') > 1023) throw invalidArgument(field, 'must be at most 1023 bytes of UTF-8');
  if (key.startsWith('/')) throw invalidArgument(field, "must be relative: no leading '/'");
  if (key.includes('\\')) throw invalidArgument(field, "must not contain '\\'");
  if (CONTROL.test(key)) throw invalidArgument(field, 'must not contain control characters');
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..')) throw invalidArgument(field, "must not have empty, '.' or '..' path segments");
  if (key.startsWith(RESERVED_PREFIX) || key === RESERVED_PREFIX.slice(0, -1)) throw invalidArgument(field, `must not be under the reserved prefix ${RESERVED_PREFIX}`);
  if (artifactRoot !== '' && !key.startsWith(artifactRoot)) throw invalidArgument(field, `must be under the artifact root ${artifactRoot}`);
  return key;
}

export interface WorkflowRef {
  name: string;
  namespace: string;
}

// Kubernetes object names (DNS subdomain): never contain '/', so a rendered prefix cannot escape its segment.
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The key prefix a workflow's pods may write: artifactRoot + the rendered template (ends in '/'). */
export function workflowKeyPrefix(template: string, workflow: WorkflowRef, artifactRoot = ''): string {
  for (const [what, v] of [['workflow name', workflow.name], ['namespace', workflow.namespace]] as const) {
    if (!K8S_NAME.test(v)) throw new HttpError(403, 'Forbidden', `the caller's ${what} ${JSON.stringify(v)} is not a valid Kubernetes name`);
  }
  const rendered = template.replace(/\{\{\s*workflow\.(name|namespace)\s*\}\}/g, (_, f: string) => (f === 'name' ? workflow.name : workflow.namespace));
  if (!rendered.endsWith('/') || /\{\{/.test(rendered)) throw new Error(`bad workflow key template ${JSON.stringify(template)}`);
  return artifactRoot + rendered;
}
