// Object-key rules (pure): what an artifact key may look like, and which key space a workflow owns.
import { HttpError, invalidArgument } from '../http/errors';
import { hasControlChars, isNamespaceName, isObjectName } from './names';

/** Bookkeeping (upload manifests, GC ledger, audit log) lives here; no caller may write into it. */
export const RESERVED_PREFIX = '.argo-oss/';

/** Where the artifacts live and how a workflow's prefix is spelled (ARGO_OSS_* settings). */
export interface KeySpace {
  /** ARGO_OSS_ARTIFACT_ROOT: '' (the whole bucket) or a prefix ending in '/'. */
  artifactRoot: string;
  /** ARGO_OSS_WORKFLOW_KEY_PREFIX: a template with {{workflow.namespace}} and {{workflow.name}}, ending in '/'. */
  workflowKeyPrefix: string;
}

export interface WorkflowRef {
  name: string;
  namespace: string;
}

/** The default write prefix: namespaces first, so one tenant's keys never fall under another's. */
export const DEFAULT_WORKFLOW_KEY_PREFIX = '{{workflow.namespace}}/{{workflow.name}}/';

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const isNamespaceSegment = (seg: string) => /\{\{\s*workflow\.namespace\s*\}\}/.test(seg);
const isNameSegment = (seg: string) => /\{\{\s*workflow\.name\s*\}\}/.test(seg);

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
  if (hasControlChars(key)) throw invalidArgument(field, 'must not contain control characters');
  if (key.split('/').some((s) => s === '' || s === '.' || s === '..')) throw invalidArgument(field, "must not have empty, '.' or '..' path segments");
  if (isReserved(key)) throw invalidArgument(field, `must not be under the reserved prefix ${RESERVED_PREFIX}`);
  if (artifactRoot !== '' && !key.startsWith(artifactRoot)) throw invalidArgument(field, `must be under the artifact root ${artifactRoot}`);
  return key;
}

/** True for the reserved prefix itself and everything under it. */
export const isReserved = (key: string): boolean => key.startsWith(RESERVED_PREFIX) || key === RESERVED_PREFIX.slice(0, -1);

/**
 * Checks an ARGO_OSS_WORKFLOW_KEY_PREFIX template; returns it or throws an Error saying what is wrong.
 * Unless `singleTenant`, the namespace must come first among the placeholders so that every workflow's
 * prefix lies under its namespace's prefix (the tenant boundary).
 */
export function checkWorkflowKeyTemplate(t: string, singleTenant: boolean): string {
  if (!t.endsWith('/')) throw new Error(`${JSON.stringify(t)} must end with '/'`);
  if (!t.includes('{{workflow.name}}')) throw new Error(`${JSON.stringify(t)} must contain {{workflow.name}}`);
  const unknown = [...t.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((n) => n !== 'workflow.name' && n !== 'workflow.namespace');
  if (unknown.length > 0) throw new Error(`unknown placeholder(s) ${unknown.map((u) => `{{${u}}}`).join(', ')}`);
  const segments = t.split('/').slice(0, -1);
  // Two placeholders in one segment could make two workflows' prefixes equal ("ab"+"c" = "a"+"bc").
  for (const seg of segments) {
    if ((seg.match(/\{\{/g) ?? []).length > 1) throw new Error(`at most one placeholder per path segment (${JSON.stringify(seg)})`);
  }
  if (t.startsWith('/') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`${JSON.stringify(t)} must be relative, without empty, '.' or '..' segments`);
  }
  if (!singleTenant) {
    const ns = segments.findIndex(isNamespaceSegment);
    if (ns < 0 || ns > segments.findIndex(isNameSegment)) {
      throw new Error(
        `${JSON.stringify(t)} does not separate namespaces: put {{workflow.namespace}} in a path segment before {{workflow.name}} ` +
          `(default ${DEFAULT_WORKFLOW_KEY_PREFIX}), or set ARGO_OSS_SINGLE_TENANT=true for a cluster with one tenant`,
      );
    }
  }
  return t;
}

function render(template: string, workflow: Partial<WorkflowRef>): string {
  return template.replace(PLACEHOLDER, (_, f: string) => (f === 'workflow.name' ? workflow.name! : workflow.namespace!));
}

// 403: the names come from the caller's identity, and a name that is not a Kubernetes name could smuggle a '/'.
function checkRef(workflow: Partial<WorkflowRef>): void {
  if (workflow.namespace !== undefined && !isNamespaceName(workflow.namespace)) {
    throw new HttpError(403, 'Forbidden', `the caller's namespace ${JSON.stringify(workflow.namespace)} is not a valid Kubernetes name`);
  }
  if (workflow.name !== undefined && !isObjectName(workflow.name)) {
    throw new HttpError(403, 'Forbidden', `the caller's workflow name ${JSON.stringify(workflow.name)} is not a valid Kubernetes name`);
  }
}

/** artifactRoot + `template` rendered for `workflow` (ends in '/'). Throws 403 on names that are not Kubernetes names. */
export function workflowKeyPrefix(template: string, workflow: WorkflowRef, artifactRoot = ''): string {
  checkRef(workflow);
  const rendered = render(template, workflow);
  if (!rendered.endsWith('/') || /\{\{/.test(rendered)) throw new Error(`bad workflow key template ${JSON.stringify(template)}`);
  return artifactRoot + rendered;
}

/** The key prefix a workflow owns in `space`. */
export function workflowPrefix(space: KeySpace, workflow: WorkflowRef): string {
  return workflowKeyPrefix(space.workflowKeyPrefix, workflow, space.artifactRoot);
}

/**
 * The key prefix of a namespace's artifacts (the tenant boundary): artifactRoot + the template up to and
 * including its namespace segment. Undefined when the template has no namespace (single-tenant layouts).
 */
export function namespacePrefix(space: KeySpace, namespace: string): string | undefined {
  checkRef({ namespace });
  const segments = space.workflowKeyPrefix.split('/');
  const ns = segments.findIndex(isNamespaceSegment);
  if (ns < 0 || ns > segments.findIndex(isNameSegment)) return undefined;
  return space.artifactRoot + render(segments.slice(0, ns + 1).join('/'), { namespace }) + '/';
}

/** True when `key` is `prefix` without its trailing '/' (a directory artifact's key) or lies under it. */
export function isUnder(key: string, prefix: string): boolean {
  return key.startsWith(prefix) || key === prefix.slice(0, -1);
}
