// The review APIs functions use to check callers: TokenReview (who is this token? which pod?),
// SelfSubjectAccessReview / SubjectAccessReview (may they do X?), and SelfSubjectReview (whoami).
import { isJsonObject, type JsonObject, type JsonValue } from './json';
import { assertAllowed, authorize, type NonResourceAttributes, type ResourceAttributes, type Subject } from './rbac';
import type { ApiReply, ApiRequest, Router } from './router';
import { badRequest, invalid, unsupportedMediaType, type StatusCause } from './status';
import { API_AUDIENCE, authenticate } from './tokens';

const AUTHN = 'authentication.k8s.io';
const AUTHZ = 'authorization.k8s.io';

export function registerReviews(router: Router): void {
  router.on('POST', `/apis/${AUTHN}/v1/tokenreviews`, tokenReview);
  router.on('POST', `/apis/${AUTHN}/v1/selfsubjectreviews`, selfSubjectReview);
  router.on('POST', `/apis/${AUTHZ}/v1/selfsubjectaccessreviews`, (req) => accessReview(req, 'SelfSubjectAccessReview'));
  router.on('POST', `/apis/${AUTHZ}/v1/subjectaccessreviews`, (req) => accessReview(req, 'SubjectAccessReview'));
}

/** The posted review object; reviews are JSON only. */
async function readReview(req: ApiRequest, kind: string): Promise<JsonObject> {
  if (req.contentType !== 'application/json') throw unsupportedMediaType(req.contentType, ['application/json']);
  let body: JsonValue;
  try {
    body = JSON.parse(await req.body()) as JsonValue;
  } catch (err) {
    throw badRequest(`the ${kind} body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(body)) throw badRequest(`the ${kind} body must be a JSON object`);
  if (body.kind !== undefined && body.kind !== kind) throw badRequest(`expected kind ${kind}, got ${JSON.stringify(body.kind)}`);
  return body;
}

function created(group: string, kind: string, spec: JsonValue, status: JsonObject): ApiReply {
  return { code: 201, body: { apiVersion: `${group}/v1`, kind, metadata: {}, spec, status } };
}

async function tokenReview(req: ApiRequest): Promise<ApiReply> {
  assertAllowed(req.tokens, req.user, { verb: 'create', group: AUTHN, resource: 'tokenreviews' });
  const body = await readReview(req, 'TokenReview');
  const spec = isJsonObject(body.spec) ? body.spec : {};
  if (typeof spec.token !== 'string' || spec.token === '') throw badRequest('token is required for TokenReview in authentication');
  const audiences = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences.map(String) : [API_AUDIENCE];
  const result = authenticate(req.tokens, spec.token, audiences);
  const status: JsonObject = result.authenticated
    ? { authenticated: true, user: { ...result.user }, audiences: result.audiences }
    : { authenticated: false, user: {}, error: result.error };
  return created(AUTHN, 'TokenReview', spec, status);
}

async function selfSubjectReview(req: ApiRequest): Promise<ApiReply> {
  await readReview(req, 'SelfSubjectReview');
  return created(AUTHN, 'SelfSubjectReview', {}, { userInfo: { ...req.user } });
}

function stringField(obj: JsonObject, key: string, causes: StatusCause[], prefix: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') causes.push({ field: `${prefix}.${key}`, message: 'Invalid value: must be a string' });
  return typeof v === 'string' ? v : undefined;
}

function attributesOf(spec: JsonObject, kind: string): ResourceAttributes | NonResourceAttributes {
  const causes: StatusCause[] = [];
  const res = spec.resourceAttributes;
  const nonRes = spec.nonResourceAttributes;
  if (isJsonObject(res) === isJsonObject(nonRes)) {
    throw invalid({ group: AUTHZ, resource: 'subjectaccessreviews', kind }, [
      { field: 'spec.resourceAttributes', message: 'Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified' },
    ]);
  }
  let attrs: ResourceAttributes | NonResourceAttributes;
  if (isJsonObject(res)) {
    const p = 'spec.resourceAttributes';
    attrs = {
      verb: stringField(res, 'verb', causes, p) ?? '',
      group: stringField(res, 'group', causes, p) ?? '',
      resource: stringField(res, 'resource', causes, p) ?? '',
      namespace: stringField(res, 'namespace', causes, p),
      name: stringField(res, 'name', causes, p),
      subresource: stringField(res, 'subresource', causes, p) || undefined,
    };
  } else {
    const p = 'spec.nonResourceAttributes';
    attrs = { path: stringField(nonRes as JsonObject, 'path', causes, p) ?? '', verb: stringField(nonRes as JsonObject, 'verb', causes, p) ?? '' };
  }
  if (causes.length > 0) throw invalid({ group: AUTHZ, resource: 'subjectaccessreviews', kind }, causes);
  return attrs;
}

async function accessReview(req: ApiRequest, kind: 'SelfSubjectAccessReview' | 'SubjectAccessReview'): Promise<ApiReply> {
  const resource = kind === 'SubjectAccessReview' ? 'subjectaccessreviews' : 'selfsubjectaccessreviews';
  assertAllowed(req.tokens, req.user, { verb: 'create', group: AUTHZ, resource });
  const body = await readReview(req, kind);
  const spec = isJsonObject(body.spec) ? body.spec : {};
  const attrs = attributesOf(spec, kind);

  let subject: Subject = req.user;
  if (kind === 'SubjectAccessReview') {
    const user = typeof spec.user === 'string' ? spec.user : '';
    const groups = Array.isArray(spec.groups) ? spec.groups.filter((g): g is string => typeof g === 'string') : [];
    if (user === '' && groups.length === 0) {
      throw invalid({ group: AUTHZ, resource, kind }, [{ field: 'spec.user', message: 'Invalid value: at least one of user or group must be specified' }]);
    }
    subject = { username: user, groups };
  }
  const decision = authorize(req.tokens, subject, attrs);
  const status: JsonObject = { allowed: decision.allowed, reason: decision.reason };
  return created(AUTHZ, kind, spec, status);
}
