// GET / LIST / PATCH / DELETE for a resource type backed by a manifest directory, with
// kube-apiserver semantics: RBAC per verb and namespace, selectors and paging on lists,
// resourceVersion preconditions, and finalizers (DELETE of an object with finalizers only sets
// metadata.deletionTimestamp; it goes away when a patch removes the last finalizer).
import { createHash } from 'node:crypto';
import { applyJsonPatch, JsonPatchError } from './json-patch';
import { isJsonObject, type JsonObject, type JsonValue } from './json';
import { applyMergePatch } from './merge-patch';
import { assertAllowed } from './rbac';
import type { ApiReply, ApiRequest, Router } from './router';
import { labelsOf, parseFieldSelector, parseLabelSelector } from './selectors';
import { badRequest, conflict, invalid, KubeStatusError, notFound, unsupportedMediaType, type ResourceRef, type StatusCause } from './status';
import { kubeTime, type ManifestStore, type Mutation } from './store';
import { apiVersionOf, type KubeObject, type ResourceType } from './types';

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
const PATCH_TYPES = [JSON_PATCH, MERGE_PATCH] as const;

export interface ResourceOptions {
  /** Serve PATCH and DELETE (otherwise read-only). */
  writable: boolean;
  /** Fields usable in ?fieldSelector=. */
  fieldSelectors: readonly string[];
}

export function registerResource(router: Router, type: ResourceType, store: ManifestStore, opts: ResourceOptions): void {
  const base = type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
  const one = `${base}/namespaces/:namespace/${type.resource}/:name`;
  router.on('GET', `${base}/${type.resource}`, (req) => list(req, type, store, opts, undefined));
  router.on('GET', `${base}/namespaces/:namespace/${type.resource}`, (req) => list(req, type, store, opts, req.params.namespace));
  router.on('GET', one, (req) => get(req, type, store));
  if (opts.writable) {
    router.on('PATCH', one, (req) => patch(req, type, store));
    router.on('DELETE', one, (req) => remove(req, type, store));
  }
}

function refOf(type: ResourceType, name?: string): ResourceRef {
  return { group: type.group, resource: type.resource, name };
}

function authorize(req: ApiRequest, type: ResourceType, verb: string, namespace?: string, name?: string): void {
  assertAllowed(req.tokens, req.user, { verb, group: type.group, resource: type.resource, namespace, name });
}

async function get(req: ApiRequest, type: ResourceType, store: ManifestStore): Promise<ApiReply> {
  const { namespace, name } = req.params as { namespace: string; name: string };
  authorize(req, type, 'get', namespace, name);
  const found = await store.get(namespace, name);
  if (!found) throw notFound(refOf(type, name));
  return { code: 200, body: found.object };
}

async function list(req: ApiRequest, type: ResourceType, store: ManifestStore, opts: ResourceOptions, namespace: string | undefined): Promise<ApiReply> {
  const q = req.url.searchParams;
  const watch = q.get('watch');
  authorize(req, type, watch === 'true' || watch === '1' ? 'watch' : 'list', namespace);
  if (watch === 'true' || watch === '1') throw badRequest('watch is not supported by the local kube-api; list again instead');
  const labelMatch = parseLabelSelector(q.get('labelSelector'));
  const fieldMatch = parseFieldSelector(q.get('fieldSelector'), opts.fieldSelectors);

  const all = await store.list();
  const selected = all.filter((o) => (namespace === undefined || o.namespace === namespace) && labelMatch(labelsOf(o.object)) && fieldMatch(o.object));

  // Paging: the continue token is the last key returned (lists are sorted by namespace/name).
  const limit = parseLimit(q.get('limit'));
  const after = parseContinue(q.get('continue'));
  const rest = after === undefined ? selected : selected.filter((o) => `${o.namespace}/${o.name}` > after);
  const page = limit ? rest.slice(0, limit) : rest;
  const metadata: JsonObject = { resourceVersion: listVersion(all.map((o) => String((o.object.metadata as JsonObject).resourceVersion))) };
  if (page.length < rest.length) {
    const last = page[page.length - 1]!;
    metadata.continue = Buffer.from(JSON.stringify({ after: `${last.namespace}/${last.name}` })).toString('base64url');
    metadata.remainingItemCount = rest.length - page.length;
  }
  // Built-in lists omit kind/apiVersion on items; custom resource lists keep them.
  const items = page.map((o) => (type.group ? o.object : withoutTypeMeta(o.object)));
  return { code: 200, body: { apiVersion: apiVersionOf(type), kind: type.listKind, metadata, items } };
}

function parseLimit(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  if (!/^\d+$/.test(value)) throw badRequest(`limit must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value) || undefined;
}

function parseContinue(value: string | null): string | undefined {
  if (value === null || value === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (isJsonObject(parsed) && typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: pass the metadata.continue value of the previous list page');
}

function listVersion(versions: string[]): string {
  const h = createHash('sha256').update(versions.join(',')).digest('hex');
  return BigInt(`0x${h.slice(0, 13)}`).toString();
}

function withoutTypeMeta(obj: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

function dryRunOf(req: ApiRequest, fromBody?: JsonValue): boolean {
  const values = [...req.url.searchParams.getAll('dryRun'), ...(Array.isArray(fromBody) ? fromBody : [])];
  for (const v of values) if (v !== 'All') throw badRequest(`unsupported dry run directive ${JSON.stringify(v)}; the only valid value is "All"`);
  return values.length > 0;
}

function parseJsonBody(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

async function patch(req: ApiRequest, type: ResourceType, store: ManifestStore): Promise<ApiReply> {
  const { namespace, name } = req.params as { namespace: string; name: string };
  authorize(req, type, 'patch', namespace, name);
  const kind = req.contentType;
  if (kind !== MERGE_PATCH && kind !== JSON_PATCH) throw unsupportedMediaType(kind, PATCH_TYPES);
  const body = parseJsonBody(await req.body());
  if (kind === MERGE_PATCH && !isJsonObject(body)) throw badRequest('a merge patch (application/merge-patch+json) must be a JSON object');
  if (kind === JSON_PATCH && !Array.isArray(body)) {
    throw badRequest(
      'a JSON patch (application/json-patch+json) must be a JSON array of operations, but the body is not an array. ' +
        "@kubernetes/client-node 1.x sends application/json-patch+json unless told otherwise: for a merge patch pass setHeaderOptions('Content-Type', PatchStrategy.MergePatch) as the call's options.",
    );
  }

  const ref = refOf(type, name);
  const result = await store.update(
    namespace,
    name,
    (current) => {
      let next: JsonValue;
      try {
        next = kind === MERGE_PATCH ? applyMergePatch(current, body) : applyJsonPatch(current, body);
      } catch (err) {
        if (err instanceof JsonPatchError) throw new KubeStatusError(422, 'Invalid', `the JSON patch could not be applied: ${err.message}`, { ...ref, kind: type.resource });
        throw err;
      }
      return checkUpdate(type, ref, current, next);
    },
    { dryRun: dryRunOf(req) },
  );
  if (!result) throw notFound(ref);
  return { code: 200, body: result.object };
}

/** What the API server enforces on an update; returns the mutation to store. */
function checkUpdate(type: ResourceType, ref: ResourceRef, current: KubeObject, next: JsonValue): Mutation {
  if (!isJsonObject(next) || !isJsonObject(next.metadata)) throw badRequest('the patched object must be an object with metadata');
  const cur = current.metadata as JsonObject;
  const meta = next.metadata;
  if (next.apiVersion !== current.apiVersion || next.kind !== current.kind) {
    throw badRequest(`apiVersion and kind cannot be changed (${current.apiVersion}, ${current.kind})`);
  }
  if (meta.name !== cur.name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${String(cur.name)})`);
  if (meta.namespace !== cur.namespace) {
    throw badRequest(`the namespace of the object (${String(meta.namespace)}) does not match the namespace on the request (${String(cur.namespace)})`);
  }
  if (meta.uid !== cur.uid) throw conflict(ref, `Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${String(cur.uid)}`);
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== cur.resourceVersion) {
    throw conflict(ref, 'the object has been modified; please apply your changes to the latest version and try again');
  }

  const causes: StatusCause[] = [];
  for (const field of ['labels', 'annotations'] as const) {
    const map = meta[field];
    if (map !== undefined && (!isJsonObject(map) || Object.values(map).some((v) => typeof v !== 'string'))) {
      causes.push({ field: `metadata.${field}`, message: 'Invalid value: values must be strings' });
    }
  }
  const finalizers = meta.finalizers;
  if (finalizers !== undefined && (!Array.isArray(finalizers) || finalizers.some((f) => typeof f !== 'string'))) {
    causes.push({ field: 'metadata.finalizers', message: 'Invalid value: must be a list of strings' });
  }
  const before = Array.isArray(cur.finalizers) ? cur.finalizers : [];
  const after = Array.isArray(finalizers) ? finalizers : [];
  if (cur.deletionTimestamp && after.some((f) => !before.includes(f))) {
    causes.push({ field: 'metadata.finalizers', reason: 'FieldValueForbidden', message: 'Forbidden: no new finalizers can be added if the object is being deleted' });
  }
  if (causes.length > 0) throw invalid({ ...ref, kind: type.kind }, causes);

  // Server-managed fields cannot be changed by a client.
  for (const field of ['creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'resourceVersion'] as const) {
    if (cur[field] === undefined) delete meta[field];
    else meta[field] = cur[field]!;
  }
  if (cur.deletionTimestamp && after.length === 0) return { remove: true };
  return { next };
}

async function remove(req: ApiRequest, type: ResourceType, store: ManifestStore): Promise<ApiReply> {
  const { namespace, name } = req.params as { namespace: string; name: string };
  authorize(req, type, 'delete', namespace, name);
  const text = await req.body();
  const options = text.trim() === '' ? {} : parseJsonBody(text);
  if (!isJsonObject(options)) throw badRequest('the DeleteOptions body must be a JSON object');
  const pre = isJsonObject(options.preconditions) ? options.preconditions : {};
  const ref = refOf(type, name);

  const result = await store.update(
    namespace,
    name,
    (current) => {
      const meta = current.metadata as JsonObject;
      if (pre.uid != null && pre.uid !== meta.uid) throw conflict(ref, `Precondition failed: UID in precondition: ${String(pre.uid)}, UID in object meta: ${String(meta.uid)}`);
      if (pre.resourceVersion != null && pre.resourceVersion !== meta.resourceVersion) {
        throw conflict(ref, `Precondition failed: ResourceVersion in precondition: ${String(pre.resourceVersion)}, ResourceVersion in object meta: ${String(meta.resourceVersion)}`);
      }
      const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
      if (finalizers.length === 0) return { remove: true };
      meta.deletionTimestamp ??= kubeTime(Date.now());
      meta.deletionGracePeriodSeconds ??= 0;
      return { next: current };
    },
    { dryRun: dryRunOf(req, options.dryRun) },
  );
  if (!result) throw notFound(ref);
  // 200 with the object when it is gone; 202 while finalizers hold it (as kube-apiserver answers).
  return { code: result.removed ? 200 : 202, body: result.object };
}
