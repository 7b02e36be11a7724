// The GC function's input: an FC event Buffer holding one CloudEvent or an array of them (EventBridge
// event-streaming delivers arrays), or an FC timer event. Parsing never throws; every element becomes
// exactly one GcInput, and anything we do not act on is reported (and acknowledged) with the reason.
//
// Accepted CloudEvents:
// 1. kube-eventer (ACK's EventBridge sink): source "acs.cs", type "cs:k8s:WorkflowRelatedEvent",
//    data = the Kubernetes v1.Event (an object, or its JSON text) with involvedObject.kind Workflow and
//    reason WorkflowSucceeded | WorkflowFailed (Argo's terminal reasons). The Workflow is then read from
//    the cluster (it may be gone: the ledger decides). Other reasons (WorkflowRunning, WorkflowNode*, and
//    WorkflowTimedOut, a warning Argo emits before it fails the workflow) are ignored.
// 2. A whole Workflow object as data (a webhook, an exit handler, Argo Events), by type:
//      argo-oss-artifacts.workflow.completed   the workflow (completed; with deletionTimestamp = deleted)
//      argo-oss-artifacts.workflow.updated     same as completed (anything not completed is ignored)
//      argo-oss-artifacts.workflow.deleted     the workflow's last state; it is gone
//    and Argo Events' resource event source (type "resource", data {type: ADD|UPDATE|DELETE, body:
//    Workflow}); DELETE is a deletion. The object is NOT trusted as the workflow's state (issue 10, F9):
//    it only names a workflow (namespace, name, uid), which is re-read from the cluster like a
//    kube-eventer event's — unless ARGO_OSS_GC_TRUST_WORKFLOW_EVENTS=true opts in (app.ts).
// An FC timer event ({triggerTime, triggerName, payload}) or {"action": "reconcile"} asks for a reconcile.
import type { Workflow } from '../argo';
import { isNamespaceName, isObjectName } from '../tenancy';

export const KUBE_EVENTER_SOURCE = 'acs.cs';
export const WORKFLOW_EVENT_TYPE = 'cs:k8s:WorkflowRelatedEvent';
/** Kubernetes Event reasons Argo emits when a workflow reaches a final phase (Error is reported as WorkflowFailed). */
export const COMPLETION_REASONS: readonly string[] = ['WorkflowSucceeded', 'WorkflowFailed'];
export const WORKFLOW_COMPLETED_TYPE = 'argo-oss-artifacts.workflow.completed';
export const WORKFLOW_UPDATED_TYPE = 'argo-oss-artifacts.workflow.updated';
export const WORKFLOW_DELETED_TYPE = 'argo-oss-artifacts.workflow.deleted';
export const ARGO_EVENTS_RESOURCE_TYPE = 'resource';

export type GcInput =
  /** A Kubernetes Event about a workflow: read the workflow from the cluster. */
  | { kind: 'workflow-event'; id?: string; namespace: string; name: string; uid?: string; reason: string }
  /** A whole workflow object. */
  | { kind: 'workflow'; id?: string; type: string; workflow: Workflow; deleted: boolean }
  | { kind: 'reconcile'; id?: string; trigger?: string }
  | { kind: 'ignored'; id?: string; type?: string; source?: string; reason: string }
  | { kind: 'malformed'; id?: string; reason: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Parses the invocation payload (Buffer, string or already-parsed JSON) into one GcInput per event. */
export function parseGcPayload(payload: unknown): GcInput[] {
  let value: unknown = payload;
  if (Buffer.isBuffer(payload) || typeof payload === 'string') {
    const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : payload;
    if (text.trim() === '') return [{ kind: 'malformed', reason: 'empty event payload' }];
    try {
      value = JSON.parse(text);
    } catch (err) {
      return [{ kind: 'malformed', reason: `event payload is not JSON: ${(err as Error).message} (starts with ${JSON.stringify(text.slice(0, 80))})` }];
    }
  }
  if (Array.isArray(value)) return value.length === 0 ? [] : value.map((e, i) => parseOne(e, `[${i}]`));
  return [parseOne(value, '')];
}

function parseOne(e: unknown, where: string): GcInput {
  if (!isObject(e)) return { kind: 'malformed', reason: `event${where} is not a JSON object` };
  const id = str(e.id);
  const withId = id ? { id } : {};
  if (e.specversion === undefined && ('triggerTime' in e || 'triggerName' in e)) {
    return { kind: 'reconcile', ...withId, ...(str(e.triggerName) ? { trigger: str(e.triggerName) } : {}) };
  }
  if (e.specversion === undefined && e.action === 'reconcile') return { kind: 'reconcile', ...withId };
  const type = str(e.type);
  const source = str(e.source);
  if (!type) return { kind: 'malformed', ...withId, reason: `event${where} has no CloudEvents "type"` };
  let data: unknown = e.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return { kind: 'malformed', ...withId, reason: `event${where} (${type}): data is a string but not JSON` };
    }
  } else if (data === undefined && typeof e.data_base64 === 'string') {
    try {
      data = JSON.parse(Buffer.from(e.data_base64, 'base64').toString('utf8'));
    } catch {
      return { kind: 'malformed', ...withId, reason: `event${where} (${type}): data_base64 is not base64 JSON` };
    }
  }
  if (type === WORKFLOW_EVENT_TYPE && source === KUBE_EVENTER_SOURCE) return kubeEvent(data, withId, where);
  if (type === WORKFLOW_COMPLETED_TYPE || type === WORKFLOW_UPDATED_TYPE || type === WORKFLOW_DELETED_TYPE) {
    return workflowObject(data, type, type === WORKFLOW_DELETED_TYPE, withId, where);
  }
  if (type === ARGO_EVENTS_RESOURCE_TYPE && isObject(data) && isObject(data.body)) {
    const op = str(data.type)?.toUpperCase();
    if (op !== 'ADD' && op !== 'UPDATE' && op !== 'DELETE') return { kind: 'ignored', ...withId, type, reason: `resource event of type ${JSON.stringify(data.type)}` };
    return workflowObject(data.body, type, op === 'DELETE', withId, where);
  }
  return { kind: 'ignored', ...withId, type, ...(source ? { source } : {}), reason: `event type ${JSON.stringify(type)} from ${JSON.stringify(source ?? '')} is not one GC acts on` };
}

function kubeEvent(data: unknown, withId: { id?: string }, where: string): GcInput {
  if (!isObject(data)) return { kind: 'malformed', ...withId, reason: `event${where}: kube-eventer data is not a Kubernetes Event object` };
  const involved = isObject(data.involvedObject) ? data.involvedObject : {};
  const reason = str(data.reason) ?? '';
  if (involved.kind !== 'Workflow') return { kind: 'ignored', ...withId, type: WORKFLOW_EVENT_TYPE, reason: `involvedObject.kind is ${JSON.stringify(involved.kind)}, not Workflow` };
  const apiVersion = str(involved.apiVersion);
  if (apiVersion && !apiVersion.startsWith('argoproj.io/')) return { kind: 'ignored', ...withId, type: WORKFLOW_EVENT_TYPE, reason: `involvedObject.apiVersion ${apiVersion} is not Argo's` };
  if (!COMPLETION_REASONS.includes(reason)) return { kind: 'ignored', ...withId, type: WORKFLOW_EVENT_TYPE, reason: `reason ${JSON.stringify(reason)} does not complete a workflow` };
  const namespace = str(involved.namespace);
  const name = str(involved.name);
  if (!isNamespaceName(namespace) || !isObjectName(name)) {
    return { kind: 'malformed', ...withId, reason: `event${where}: involvedObject needs a valid namespace and name (got ${JSON.stringify(namespace)}/${JSON.stringify(name)})` };
  }
  const uid = str(involved.uid);
  return { kind: 'workflow-event', ...withId, namespace, name, ...(uid ? { uid } : {}), reason };
}

function workflowObject(data: unknown, type: string, deleted: boolean, withId: { id?: string }, where: string): GcInput {
  if (!isObject(data) || !isObject(data.metadata)) return { kind: 'malformed', ...withId, reason: `event${where} (${type}): data is not a Workflow object` };
  if (data.kind !== undefined && data.kind !== 'Workflow') return { kind: 'ignored', ...withId, type, reason: `data.kind is ${JSON.stringify(data.kind)}, not Workflow` };
  const m = data.metadata;
  const name = str(m.name);
  const namespace = str(m.namespace);
  if (!isObjectName(name) || !isNamespaceName(namespace) || !str(m.uid)) {
    return { kind: 'malformed', ...withId, reason: `event${where} (${type}): the Workflow needs metadata.name, metadata.namespace and metadata.uid` };
  }
  const wf = data as unknown as Workflow;
  return { kind: 'workflow', ...withId, type, workflow: wf, deleted: deleted || str(m.deletionTimestamp) !== undefined };
}
