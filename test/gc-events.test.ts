// GC inputs (FC event payloads), the ledger's pure helpers and the mark-deleted patch. Pure functions.
import { describe, expect, it } from 'vitest';
import { backoffMs, markDeletedPatch, parseGcPayload, type LedgerEntry } from '../shared/gc';
import { dueItems, markDeleted } from '../shared/gc/ledger';
import type { Workflow } from '../shared/argo';

const kubeEvent = (reason: string, extra: Record<string, unknown> = {}) => ({
  specversion: '1.0',
  id: 'evt-1',
  source: 'acs.cs',
  type: 'cs:k8s:WorkflowRelatedEvent',
  subject: 'acs:cs:cn-hangzhou:123:c1/apis/argoproj.io/v1alpha1/namespaces/argo/workflows/my-wf',
  datacontenttype: 'application/json',
  data: {
    metadata: { name: 'my-wf.17a', namespace: 'argo' },
    reason,
    message: 'Workflow completed',
    type: 'Normal',
    involvedObject: { kind: 'Workflow', namespace: 'argo', name: 'my-wf', uid: 'u-1', apiVersion: 'argoproj.io/v1alpha1' },
    source: { component: 'workflow-controller' },
  },
  ...extra,
});

const workflow = (extra: Record<string, unknown> = {}) => ({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'wf', namespace: 'argo', uid: 'u-2', ...extra }, status: { phase: 'Succeeded' } });

describe('parseGcPayload', () => {
  it('reads a kube-eventer Workflow event from a Buffer', () => {
    expect(parseGcPayload(Buffer.from(JSON.stringify(kubeEvent('WorkflowSucceeded'))))).toEqual([
      { kind: 'workflow-event', id: 'evt-1', namespace: 'argo', name: 'my-wf', uid: 'u-1', reason: 'WorkflowSucceeded' },
    ]);
  });

  it('accepts arrays (event streaming), data as JSON text, and every completion reason', () => {
    const events = ['WorkflowSucceeded', 'WorkflowFailed', 'WorkflowTimedOut'].map((r) => kubeEvent(r));
    (events[1] as Record<string, unknown>).data = JSON.stringify(events[1].data);
    // WorkflowTimedOut is Argo's warning before it fails the workflow, not a completion.
    expect(parseGcPayload(JSON.stringify(events)).map((e) => e.kind)).toEqual(['workflow-event', 'workflow-event', 'ignored']);
    expect(parseGcPayload('[]')).toEqual([]);
  });

  it('acknowledges what it does not act on, with the reason', () => {
    const [running, node, pod, other] = parseGcPayload([
      kubeEvent('WorkflowRunning'),
      kubeEvent('WorkflowNodeSucceeded'),
      kubeEvent('WorkflowSucceeded', { data: { reason: 'Started', involvedObject: { kind: 'Pod', namespace: 'argo', name: 'p' } } }),
      { specversion: '1.0', id: 'x', source: 'acs.oss', type: 'oss:ObjectCreated:PutObject', data: {} },
    ]);
    expect(running).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/"WorkflowRunning" does not complete/) });
    expect(node).toMatchObject({ kind: 'ignored' });
    expect(pod).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(/not Workflow/) });
    expect(other).toMatchObject({ kind: 'ignored', type: 'oss:ObjectCreated:PutObject', source: 'acs.oss' });
  });

  it('reports malformed input instead of throwing', () => {
    expect(parseGcPayload(Buffer.from('{"specversion": "1.0", '))).toEqual([{ kind: 'malformed', reason: expect.stringMatching(/not JSON/) }]);
    expect(parseGcPayload(Buffer.alloc(0))).toEqual([{ kind: 'malformed', reason: 'empty event payload' }]);
    expect(parseGcPayload('[1, null]').map((e) => e.kind)).toEqual(['malformed', 'malformed']);
    expect(parseGcPayload({ specversion: '1.0' })).toEqual([{ kind: 'malformed', reason: expect.stringMatching(/no CloudEvents "type"/) }]);
    expect(parseGcPayload(kubeEvent('WorkflowSucceeded', { data: '{oops' }))[0]).toMatchObject({ kind: 'malformed', id: 'evt-1' });
    const badName = kubeEvent('WorkflowSucceeded');
    (badName.data.involvedObject as Record<string, unknown>).name = '../x';
    expect(parseGcPayload(badName)[0]).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/valid namespace and name/) });
  });

  it('reads whole-Workflow CloudEvents of the documented types', () => {
    const ce = (type: string, data: unknown) => ({ specversion: '1.0', id: type, source: 'hook', type, data });
    const [completed, updated, deleted, stillDeleting, noUid] = parseGcPayload([
      ce('argo-oss-artifacts.workflow.completed', workflow()),
      ce('argo-oss-artifacts.workflow.updated', workflow()),
      ce('argo-oss-artifacts.workflow.deleted', workflow()),
      ce('argo-oss-artifacts.workflow.completed', workflow({ deletionTimestamp: '2030-01-01T00:00:00Z' })),
      ce('argo-oss-artifacts.workflow.completed', { kind: 'Workflow', metadata: { name: 'wf', namespace: 'argo' } }),
    ]);
    expect(completed).toMatchObject({ kind: 'workflow', deleted: false, workflow: { metadata: { uid: 'u-2' } } });
    expect(updated).toMatchObject({ kind: 'workflow', deleted: false });
    expect(deleted).toMatchObject({ kind: 'workflow', deleted: true });
    expect(stillDeleting).toMatchObject({ kind: 'workflow', deleted: true });
    expect(noUid).toMatchObject({ kind: 'malformed', reason: expect.stringMatching(/metadata.uid/) });
  });

  it('reads Argo Events resource events (DELETE is a deletion)', () => {
    const ce = (op: string) => ({ specversion: '1.0', id: op, source: 'workflows', type: 'resource', data: { type: op, body: workflow(), group: 'argoproj.io', version: 'v1alpha1', resource: 'workflows' } });
    const [add, del, odd] = parseGcPayload([ce('UPDATE'), ce('DELETE'), ce('BOOKMARK')]);
    expect(add).toMatchObject({ kind: 'workflow', deleted: false });
    expect(del).toMatchObject({ kind: 'workflow', deleted: true });
    expect(odd).toMatchObject({ kind: 'ignored' });
    expect(parseGcPayload({ ...ce('ADD'), data: { type: 'ADD', body: { ...workflow(), kind: 'Pod' } } })[0]).toMatchObject({ kind: 'ignored' });
  });

  it('turns FC timer events and {"action":"reconcile"} into a reconcile', () => {
    expect(parseGcPayload(Buffer.from(JSON.stringify({ triggerTime: '2030-01-01T00:00:00Z', triggerName: 'reconcile', payload: '{"action":"reconcile"}' })))).toEqual([
      { kind: 'reconcile', trigger: 'reconcile' },
    ]);
    expect(parseGcPayload('{"action":"reconcile"}')).toEqual([{ kind: 'reconcile' }]);
  });
});

describe('ledger helpers', () => {
  const entry = (): LedgerEntry => ({
    version: 1,
    workflow: { namespace: 'argo', name: 'wf', uid: 'u' },
    phase: 'Succeeded',
    when: 'Always',
    delaySeconds: 3600,
    createdAt: '2030-01-01T00:00:00.000Z',
    updatedAt: '2030-01-01T00:00:00.000Z',
    items: [
      { node: 'n', artifact: 'now', key: 'k1', target: { kind: 'object', key: 'k1' }, strategy: 'OnWorkflowCompletion', dueAt: '2030-01-01T00:00:00.000Z', attempts: 0 },
      { node: 'n', artifact: 'later', key: 'k2', target: { kind: 'object', key: 'k2' }, strategy: 'OnWorkflowCompletion', dueAt: '2030-01-02T00:00:00.000Z', attempts: 0 },
      { node: 'n', artifact: 'retry', key: 'k3', target: { kind: 'object', key: 'k3' }, strategy: 'OnWorkflowCompletion', dueAt: '2030-01-01T00:00:00.000Z', attempts: 1, nextAttemptAt: '2030-01-01T00:01:00.000Z' },
      { node: 'n', artifact: 'del', key: 'k4', target: { kind: 'object', key: 'k4' }, strategy: 'OnWorkflowDeletion', onDeletion: true, attempts: 0 },
    ],
  });

  it('runs items that are due and past their backoff', () => {
    const e = entry();
    expect(dueItems(e, new Date('2030-01-01T00:00:30Z')).map((i) => i.artifact)).toEqual(['now']);
    expect(dueItems(e, new Date('2030-01-01T00:01:00Z')).map((i) => i.artifact)).toEqual(['now', 'retry']);
    expect(dueItems(e, new Date('2030-01-03T00:00:00Z')).map((i) => i.artifact)).toEqual(['now', 'later', 'retry']);
  });

  it('a deletion makes deletion-owed items due after the delay, once', () => {
    const e = entry();
    expect(markDeleted(e, new Date('2030-01-05T00:00:00Z'))).toBe(true);
    expect(e.items[3]).toMatchObject({ dueAt: '2030-01-05T01:00:00.000Z' });
    expect(e.items[3].onDeletion).toBeUndefined();
    expect(markDeleted(e, new Date('2030-01-06T00:00:00Z'))).toBe(false);
    expect(e.deletedAt).toBe('2030-01-05T00:00:00.000Z');
  });

  it('backs off exponentially up to six hours', () => {
    expect([1, 2, 3, 10, 30].map(backoffMs)).toEqual([60_000, 120_000, 240_000, 6 * 3600_000, 6 * 3600_000]);
  });
});

describe('markDeletedPatch', () => {
  const wf: Workflow = {
    metadata: { name: 'wf', namespace: 'argo', uid: 'u', resourceVersion: '42' },
    status: {
      nodes: {
        a: { type: 'Pod', outputs: { artifacts: [{ name: 'x', oss: { key: 'x' } }, { name: 'y', oss: { key: 'y' } }], exitCode: '0' } },
        b: { type: 'Pod', outputs: { artifacts: [{ name: 'z', oss: { key: 'z' }, deleted: true }] } },
      },
    },
  };

  it('sends the whole artifacts array of each touched node with the resourceVersion', () => {
    expect(markDeletedPatch(wf, [{ node: 'a', artifact: 'y' }, { node: 'b', artifact: 'z' }, { node: 'c', artifact: 'q' }])).toEqual({
      metadata: { resourceVersion: '42' },
      status: { nodes: { a: { outputs: { artifacts: [{ name: 'x', oss: { key: 'x' } }, { name: 'y', oss: { key: 'y' }, deleted: true }] } } } },
    });
  });

  it('is undefined when nothing changes', () => {
    expect(markDeletedPatch(wf, [{ node: 'b', artifact: 'z' }])).toBeUndefined();
  });
});
