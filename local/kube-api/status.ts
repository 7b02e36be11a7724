// Kubernetes `Status` error objects. Every failure the API answers is one of these, with the same
// `reason`/`code` pairs and message shapes as kube-apiserver, so client code written against a real
// cluster (e.g. `err.code === 404`, parsing `err.body`) behaves the same locally.

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
}

export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** Identifies a resource the way Status messages name it: `workflows.argoproj.io "name"`. */
export interface ResourceRef {
  group: string;
  resource: string;
  name?: string;
}

export class KubeStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'KubeStatusError';
  }

  toStatus(): KubeStatus {
    return failureStatus(this.code, this.reason, this.message, this.details);
  }
}

export function failureStatus(code: number, reason: string, message: string, details?: StatusDetails): KubeStatus {
  const status: KubeStatus = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return status;
}

/** `workflows.argoproj.io` / `pods` — Kubernetes drops the dot for the core group. */
export function qualifiedResource(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

function subject(ref: ResourceRef): string {
  const qualified = qualifiedResource(ref);
  return ref.name !== undefined ? `${qualified} "${ref.name}"` : qualified;
}

function refDetails(ref: ResourceRef): StatusDetails {
  // kube-apiserver puts the plural resource into `details.kind` for these errors.
  const details: StatusDetails = { group: ref.group, kind: ref.resource };
  if (ref.name !== undefined) details.name = ref.name;
  return details;
}

export function notFound(ref: ResourceRef): KubeStatusError {
  return new KubeStatusError(404, 'NotFound', `${subject(ref)} not found`, refDetails(ref));
}

export function pathNotFound(): KubeStatusError {
  return new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function unauthorized(): KubeStatusError {
  return new KubeStatusError(401, 'Unauthorized', 'Unauthorized');
}

export function forbidden(ref: ResourceRef, why: string): KubeStatusError {
  return new KubeStatusError(403, 'Forbidden', `${subject(ref)} is forbidden: ${why}`, refDetails(ref));
}

export function badRequest(message: string): KubeStatusError {
  return new KubeStatusError(400, 'BadRequest', message);
}

export function conflict(ref: ResourceRef, why: string): KubeStatusError {
  return new KubeStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${subject(ref)}: ${why}`, refDetails(ref));
}

/** 422 with per-field causes, like API validation failures. */
export function invalid(ref: ResourceRef & { kind: string }, causes: StatusCause[]): KubeStatusError {
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
  const name = ref.name ?? '';
  return new KubeStatusError(422, 'Invalid', `${ref.kind}${ref.group ? `.${ref.group}` : ''} "${name}" is invalid: ${list}`, {
    ...refDetails(ref),
    kind: ref.kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): KubeStatusError {
  return new KubeStatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format (${contentType || 'no Content-Type'}) - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function methodNotAllowed(method: string): KubeStatusError {
  return new KubeStatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method})`);
}

export function requestTooLarge(limit: number): KubeStatusError {
  return new KubeStatusError(413, 'RequestEntityTooLarge', `the request body is larger than ${limit} bytes`);
}

export function internalError(message: string): KubeStatusError {
  return new KubeStatusError(500, 'InternalError', `Internal error occurred: ${message}`);
}
