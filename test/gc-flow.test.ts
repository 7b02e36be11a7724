// Artifact GC end to end through the local OSS server and Kubernetes API with the real ali-oss and
// client-node clients: completion events, duplicates and out-of-order events, deletion detected by
// the reconcile, success-only / failure-only, delays (with a stepped clock), dry runs, whole-Workflow
// CloudEvents and the mark-deleted patch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeWorkflows, readEntry } from '../shared/gc';
import { isHandled } from '../shared/gc/ledger';
import { kubeEvent, startGcBench, workflow, type GcBench } from './helpers/gc';

describe('artifact GC flow', () => {
  let b: GcBench;
  beforeAll(async () => {
    b = await startGcBench();
  });
  afterAll(async () => {
    await b?.close();
  });

  it('a completion event reclaims exactly the due artifacts; duplicates and late events change nothing; deletion + reconcile takes the rest', async () => {
    const wf = workflow({
      name: 'wf-a',
      strategy: 'OnWorkflowCompletion',
      artifacts: [
        { name: 'out', key: 'argo/wf-a/wf-a-1/out.tgz' },
        { name: 'main-logs', key: 'argo/wf-a/wf-a-1/main.log' },
        { name: 'keep', key: 'argo/wf-a/wf-a-1/keep.tgz', strategy: 'Never' },
        { name: 'later', key: 'argo/wf-a/wf-a-1/later.tgz', strategy: 'OnWorkflowDeletion' },
        { name: 'dir', key: 'argo/wf-a/wf-a-1/dir', archiveNone: true },
        { name: 'tree', key: 'argo/wf-a/wf-a-1/tree/' },
        { name: 'file', key: 'argo/wf-a/wf-a-1/file.txt', archiveNone: true },
        { name: 'never-written', key: undefined, extra: { optional: true } },
      ],
    });
    await b.writeWorkflow(wf);
    const survivors = ['argo/wf-a/wf-a-1/keep.tgz', 'argo/wf-a/wf-a-1/dirfoo', 'argo/wf-a/wf-a-1/dir.txt', 'argo/wf-a/wf-a-1/tree.tgz', 'argo/wf-b/wf-b-1/out.tgz'];
    await b.put([
      'argo/wf-a/wf-a-1/out.tgz',
      'argo/wf-a/wf-a-1/main.log',
      'argo/wf-a/wf-a-1/later.tgz',
      'argo/wf-a/wf-a-1/dir/',
      'argo/wf-a/wf-a-1/dir/a.txt',
      'argo/wf-a/wf-a-1/dir/sub/b.txt',
      'argo/wf-a/wf-a-1/tree/x',
      'argo/wf-a/wf-a-1/tree/y/z',
      'argo/wf-a/wf-a-1/file.txt',
      ...survivors,
    ]);
    const app = b.app();

    const s = await app.handleEvents(Buffer.from(JSON.stringify(kubeEvent(wf))));
    expect(s).toMatchObject({ planned: 5, deleted: 5, kept: 1, deferred: 1, skipped: 1, refused: 0, failed: 0, objects: 8, dryRun: false, errors: [] });
    expect(s.events).toMatchObject({ received: 1, handled: 1 });
    expect((await b.keys('argo/wf-a/')).sort()).toEqual(['argo/wf-a/wf-a-1/dir.txt', 'argo/wf-a/wf-a-1/dirfoo', 'argo/wf-a/wf-a-1/keep.tgz', 'argo/wf-a/wf-a-1/later.tgz', 'argo/wf-a/wf-a-1/tree.tgz']);
    expect(await b.exists('argo/wf-b/wf-b-1/out.tgz')).toBe(true);

    // The ledger owes the OnWorkflowDeletion artifact; the Workflow shows the reclaimed ones as deleted.
    const entry = await readEntry(b.oss, wf.metadata.uid!);
    expect(entry?.items.map((i) => [i.artifact, i.onDeletion])).toEqual([['later', true]]);
    const patched = await b.readWorkflow(wf);
    const deleted = Object.fromEntries(patched.status!.nodes!['wf-a-1'].outputs!.artifacts!.map((a) => [a.name, a.deleted === true]));
    expect(deleted).toEqual({ out: true, 'main-logs': true, keep: false, later: false, dir: true, tree: true, file: true, 'never-written': false });

    // A duplicate (re-created object: a second delete would show) and out-of-order events do nothing.
    await b.put(['argo/wf-a/wf-a-1/out.tgz']);
    const dup = await app.handleEvents([kubeEvent(wf), kubeEvent(wf, 'WorkflowRunning'), kubeEvent(wf, 'WorkflowFailed')]);
    expect(dup).toMatchObject({ planned: 0, deleted: 0, errors: [] });
    expect(dup.events).toMatchObject({ received: 3, handled: 0, duplicates: 2, ignored: 1 });
    expect(await b.exists('argo/wf-a/wf-a-1/out.tgz')).toBe(true);

    // Kubernetes sends nothing on deletion: the reconcile notices the uid is gone.
    await b.removeWorkflow(wf);
    const r = await app.reconcile();
    expect(r).toMatchObject({ deleted: 1, planned: 1, errors: [] });
    expect(r.workflows).toMatchObject({ deletionsDetected: 1 });
    expect(await b.exists('argo/wf-a/wf-a-1/later.tgz')).toBe(false);
    expect(await readEntry(b.oss, wf.metadata.uid!)).toBeUndefined();
    expect(await b.exists('argo/wf-a/wf-a-1/keep.tgz')).toBe(true);

    // Again, and a late event for the deleted workflow: nothing left to do.
    expect(await app.reconcile()).toMatchObject({ planned: 0, deleted: 0, errors: [] });
    expect((await app.handleEvents(kubeEvent(wf))).events).toMatchObject({ duplicates: 1 });

    const audit = (await b.audit()).filter((a) => a.workflow?.uid === wf.metadata.uid);
    const deletes = audit.filter((a) => a.action === 'delete' && a.result === 'ok');
    expect(deletes.map((a) => a.artifact).sort()).toEqual(['dir', 'file', 'later', 'main-logs', 'out', 'tree']);
    expect(deletes.reduce((n, a) => n + (a.objects ?? 0), 0)).toBe(9);
    expect(audit.filter((a) => a.action === 'keep').map((a) => a.artifact)).toEqual(['keep']);
    expect(audit.filter((a) => a.action === 'defer').map((a) => a.artifact)).toEqual(['later']);
    expect(audit.every((a) => a.run && a.time)).toBe(true);
  });

  it('two instances handling the same event at once: exactly one claims and deletes', async () => {
    const wf = workflow({ name: 'race', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'a', key: 'argo/race/p/a.tgz' }, { name: 'd', key: 'argo/race/p/d.tgz', strategy: 'OnWorkflowDeletion' }] });
    await b.writeWorkflow(wf);
    await b.put(['argo/race/p/a.tgz', 'argo/race/p/d.tgz']);
    const ev = kubeEvent(wf);
    const results = await Promise.all([b.app().handleEvents(ev), b.app().handleEvents(ev), b.app().reconcile()]);
    expect(results.reduce((n, s) => n + s.deleted, 0)).toBe(1);
    expect(results.every((s) => s.errors.length === 0)).toBe(true);
    expect(await b.keys('argo/race/')).toEqual(['argo/race/p/d.tgz']);
    expect((await readEntry(b.oss, wf.metadata.uid!))?.items.map((i) => i.artifact)).toEqual(['d']);
    await b.removeWorkflow(wf);
    expect(await b.app().reconcile()).toMatchObject({ deleted: 1, errors: [] });
    expect(await b.keys('argo/race/')).toEqual([]);
  });

  it('reclaims only successful or only failed workflows (annotation over configuration)', async () => {
    const make = (name: string, phase: string, annotations?: Record<string, string>) =>
      workflow({ name, phase, strategy: 'OnWorkflowCompletion', annotations, artifacts: [{ name: 'out', key: `argo/${name}/p/out.tgz` }] });
    const wfs = [
      make('ok-1', 'Succeeded', { 'argo-oss-artifacts/gc-when': 'Succeeded' }),
      make('bad-1', 'Failed', { 'argo-oss-artifacts/gc-when': 'Succeeded' }),
      make('ok-2', 'Succeeded'),
      make('err-2', 'Error'),
      make('ok-3', 'Succeeded', { 'argo-oss-artifacts/gc-when': 'Always' }),
    ];
    for (const wf of wfs) await b.writeWorkflow(wf);
    await b.put(wfs.map((w) => `argo/${w.metadata.name}/p/out.tgz`));
    const app = b.app({ ARGO_OSS_GC_WHEN: 'Failed' });
    const s = await app.handleEvents(wfs.map((w) => kubeEvent(w, w.status!.phase === 'Succeeded' ? 'WorkflowSucceeded' : 'WorkflowFailed')));
    expect(s).toMatchObject({ deleted: 3, kept: 2, errors: [] });
    expect(await b.exists('argo/ok-1/p/out.tgz')).toBe(false);
    expect(await b.exists('argo/bad-1/p/out.tgz')).toBe(true);
    expect(await b.exists('argo/ok-2/p/out.tgz')).toBe(true);
    expect(await b.exists('argo/err-2/p/out.tgz')).toBe(false);
    expect(await b.exists('argo/ok-3/p/out.tgz')).toBe(false);
    expect(s.plan.find((p) => p.workflow === 'argo/bad-1')?.reason).toMatch(/gc-when Succeeded \(annotation\): workflow phase is Failed/);
    // The kept ones are not re-planned by the reconcile.
    expect(await app.reconcile()).toMatchObject({ kept: 0, deleted: 0 });
  });

  it('delays reclaim by gc-delay after completion (stepped clock)', async () => {
    const wf = workflow({
      name: 'delayed',
      strategy: 'OnWorkflowCompletion',
      annotations: { 'argo-oss-artifacts/gc-delay': '2h' },
      finishedAt: b.clock.now().toISOString(),
      artifacts: [{ name: 'out', key: 'argo/delayed/p/out.tgz' }],
    });
    await b.writeWorkflow(wf);
    await b.put(['argo/delayed/p/out.tgz']);
    const app = b.app();
    const s = await app.handleEvents(kubeEvent(wf));
    expect(s).toMatchObject({ deleted: 0, deferred: 1 });
    expect(s.plan[0]).toMatchObject({ action: 'defer', dueAt: expect.any(String) });
    b.clock.advance(3600_000);
    expect(await app.reconcile()).toMatchObject({ planned: 0, deleted: 0, deferred: 1 });
    expect(await b.exists('argo/delayed/p/out.tgz')).toBe(true);
    b.clock.advance(3601_000);
    expect(await app.reconcile()).toMatchObject({ planned: 1, deleted: 1, deferred: 0 });
    expect(await b.exists('argo/delayed/p/out.tgz')).toBe(false);
    // Nothing owed any more, the workflow still exists: a marker remembers it was handled.
    expect(await readEntry(b.oss, wf.metadata.uid!)).toBeUndefined();
    expect(await isHandled(b.oss, wf.metadata.uid!)).toBe(true);
    b.clock.offsetMs = 0;
  });

  it('a dry run deletes nothing and writes the plan to the audit log and the answer', async () => {
    const wf = workflow({ name: 'dry', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'argo/dry/p/out.tgz' }, { name: 'dir', key: 'argo/dry/p/dir', archiveNone: true }, { name: 'later', key: 'argo/dry/p/later', strategy: 'OnWorkflowDeletion' }] });
    await b.writeWorkflow(wf);
    await b.put(['argo/dry/p/out.tgz', 'argo/dry/p/dir/a', 'argo/dry/p/dir/b', 'argo/dry/p/later']);
    const dry = b.app({ ARGO_OSS_GC_DRY_RUN: 'true' });
    const s = await dry.handleEvents(kubeEvent(wf));
    expect(s).toMatchObject({ dryRun: true, planned: 2, deleted: 0, deferred: 1, objects: 0 });
    expect(s.plan.filter((p) => p.action === 'delete').map((p) => p.reason).sort()).toEqual(['dry run: would delete (object)', 'dry run: would delete (prefix)']);
    expect((await b.keys('argo/dry/')).length).toBe(4);
    expect(await readEntry(b.oss, wf.metadata.uid!)).toBeUndefined();
    const audit = (await b.audit()).filter((a) => a.workflow?.uid === wf.metadata.uid);
    expect(audit.filter((a) => a.action === 'dry-run').map((a) => [a.artifact, a.result])).toEqual(
      expect.arrayContaining([['out', 'planned'], ['dir', 'planned']]),
    );
    // The reconcile's dry run agrees, and a real run afterwards does the work.
    expect(await dry.reconcile()).toMatchObject({ dryRun: true, planned: 2, deleted: 0 });
    expect((await b.keys('argo/dry/')).length).toBe(4);
    expect(await dry.handleEvents(kubeEvent(wf), { dryRun: false })).toMatchObject({ dryRun: false, deleted: 2, objects: 3 });
    expect(await b.keys('argo/dry/')).toEqual(['argo/dry/p/later']);
  });

  it('handles whole-Workflow CloudEvents as sent when trusted (opt-in), including a deletion the cluster never saw', async () => {
    const wf = workflow({ name: 'hooked', strategy: 'OnWorkflowDeletion', artifacts: [{ name: 'a', key: 'argo/hooked/p/a.tgz' }, { name: 'b', key: 'argo/hooked/p/b.tgz', strategy: 'OnWorkflowCompletion' }] });
    await b.put(['argo/hooked/p/a.tgz', 'argo/hooked/p/b.tgz']);
    const app = b.app({ ARGO_OSS_GC_TRUST_WORKFLOW_EVENTS: 'true' });
    const ce = (type: string) => ({ specversion: '1.0', id: type, source: 'exit-handler', type, datacontenttype: 'application/json', data: wf });
    expect(await app.handleEvents(ce('argo-oss-artifacts.workflow.completed'))).toMatchObject({ deleted: 1, deferred: 1 });
    expect(await b.keys('argo/hooked/')).toEqual(['argo/hooked/p/a.tgz']);
    const d = await app.handleEvents(JSON.stringify([ce('argo-oss-artifacts.workflow.deleted'), ce('argo-oss-artifacts.workflow.deleted')]));
    expect(d).toMatchObject({ deleted: 1, errors: [] });
    expect(await b.keys('argo/hooked/')).toEqual([]);
    expect(await readEntry(b.oss, wf.metadata.uid!)).toBeUndefined();
  });

  it('a workflow deleted before its completion event: the event finds it gone (or renamed) and the ledger decides', async () => {
    const wf = workflow({ name: 'reused', uid: 'uid-reused-1', strategy: 'OnWorkflowDeletion', artifacts: [{ name: 'a', key: 'argo/reused/p1/a.tgz' }] });
    await b.writeWorkflow(wf);
    await b.put(['argo/reused/p1/a.tgz']);
    const app = b.app();
    expect(await app.handleEvents(kubeEvent(wf))).toMatchObject({ deleted: 0, deferred: 1 });
    // Same name, new uid: the workflow the first event was about is gone.
    const again = workflow({ name: 'reused', uid: 'uid-reused-2', phase: 'Running', strategy: 'OnWorkflowDeletion', artifacts: [{ name: 'a', key: 'argo/reused/p2/a.tgz' }] });
    await b.writeWorkflow(again);
    const s = await app.handleEvents(kubeEvent(wf, 'WorkflowFailed'));
    expect(s).toMatchObject({ deleted: 1, errors: [] });
    expect(await b.exists('argo/reused/p1/a.tgz')).toBe(false);
    // An unknown workflow that is gone: acknowledged, nothing recorded, no error.
    const ghost = await app.handleEvents(kubeEvent({ metadata: { name: 'ghost', namespace: 'argo', uid: 'uid-ghost' } }));
    expect(ghost).toMatchObject({ deleted: 0, errors: [] });
  });

  it('mark-deleted without RBAC to patch is a warning, not a failure', async () => {
    await b.k8s.writeTokens([{ token: 'reader', user: 'reader', rules: [{ namespaces: ['argo'], resources: ['workflows'], verbs: ['get', 'list'] }] }]);
    const wf = workflow({ name: 'no-rbac', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'argo/no-rbac/p/out.tgz' }] });
    await b.writeWorkflow(wf);
    await b.put(['argo/no-rbac/p/out.tgz']);
    const app = b.app({}, { workflows: new KubeWorkflows(b.k8s.kubeConfig('reader')) });
    expect(await app.handleEvents(kubeEvent(wf))).toMatchObject({ deleted: 1, failed: 0, errors: [] });
    expect((await b.readWorkflow(wf)).status!.nodes!['no-rbac-1'].outputs!.artifacts![0].deleted).toBeUndefined();
    const warn = (await b.audit()).find((a) => a.workflow?.name === 'no-rbac' && a.action === 'mark-deleted');
    expect(warn).toMatchObject({ result: 'warning', reason: expect.stringMatching(/403/) });
  });
});
