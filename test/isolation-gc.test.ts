// Tenant isolation of artifact GC (issue 10: F5-F9, model item 5) on the local stack with the real
// ali-oss and client-node clients. Two namespaces, team-a and team-b, each run a workflow named `same`;
// team-a's status names team-b's objects and prefixes (users can write a Workflow's status). Through
// completion and deletion events, the reconcile, forged uids, forged whole-Workflow CloudEvents and
// Argo's per-artifact lifecycleRule, team-b's bytes survive — and team-a's own artifacts are still
// reclaimed per Argo's semantics, including an object outside its prefix recorded as written by it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEntry } from '../shared/gc';
import { getObjectTags, mapLimit, putObject } from '../shared/oss';
import { ownerMetadata, type WorkflowIdentity } from '../shared/tenancy';
import type { Workflow } from '../shared/argo';
import { kubeEvent, startGcBench, workflow, type ArtifactSpec, type GcBench } from './helpers/gc';
import { seedTenants } from './helpers/tenants';

// Set from the shared two-tenant cluster (test/helpers/tenants.ts): team-a/same, team-b/same, team-b/only-b.
let A: WorkflowIdentity;
let B: WorkflowIdentity;
/** team-b's second workflow (`only-b`), whose OnWorkflowDeletion artifact team-a's forged events go after. */
let ONLY_B: WorkflowIdentity;

// team-b's bytes: under its prefix, in the legacy `<name>/` layout both tenants' `same` would share,
// and outside any prefix with team-b/same recorded as their writer.
const B_KEYS = [
  'team-b/same/p/out.tgz',
  'team-b/same/p/later.tgz',
  'team-b/same/p/dir/x.txt',
  'team-b/same/p/dir/y/z.txt',
  'team-b/same/unlisted.bin',
  'same/p/legacy.tgz',
];
/** team-b/only-b's OnWorkflowDeletion artifact: owed to team-b only when only-b is really deleted. */
const ONLY_B_OWED = 'team-b/only-b/p/owed.tgz';
const B_OWNED = 'elsewhere/written-by-b.bin';
/** Metadata naming team-a/same but with team-b's uid: not team-a's. */
const FORGED_OWNER = 'elsewhere/forged-owner.bin';

const spec = (w: WorkflowIdentity, artifacts: ArtifactSpec[], extra: { phase?: string; strategy?: string } = {}) =>
  workflow({ name: w.name, namespace: w.namespace, uid: w.uid, strategy: extra.strategy ?? 'OnWorkflowCompletion', phase: extra.phase, artifacts });

/** team-a/same: its own artifacts (by Argo's strategies), plus every kind of claim on team-b's bytes. */
function teamA(): Workflow {
  return spec(A, [
    { name: 'out', key: 'team-a/same/p/out.tgz' },
    { name: 'dir', key: 'team-a/same/p/dir/' },
    { name: 'tree', key: 'team-a/same/p/tree', archiveNone: true },
    { name: 'later', key: 'team-a/same/p/later.tgz', strategy: 'OnWorkflowDeletion' },
    { name: 'kept', key: 'team-a/same/p/kept.tgz', strategy: 'Never' },
    { name: 'mine-outside', key: 'elsewhere/written-by-a.bin' },
    { name: 'b-object', key: 'team-b/same/p/out.tgz' },
    { name: 'b-prefix', key: 'team-b/same/' },
    { name: 'b-auto', key: 'team-b/same/p/dir', archiveNone: true },
    { name: 'b-later', key: 'team-b/same/p/later.tgz', strategy: 'OnWorkflowDeletion' },
    { name: 'legacy', key: 'same/' },
    { name: 'b-owned', key: B_OWNED },
    { name: 'forged-owner', key: FORGED_OWNER },
  ]);
}

describe('GC tenant isolation (team-a / team-b, both running `same`)', () => {
  let b: GcBench;
  const putOwned = (keys: string[], owner: WorkflowIdentity) => mapLimit(keys, 8, (k) => putObject(b.oss, k, `${owner.namespace}/${owner.name}`, { meta: ownerMetadata(owner) }));
  const survivors = async () => Object.fromEntries(await Promise.all([...B_KEYS, B_OWNED, FORGED_OWNER].map(async (k) => [k, await b.exists(k)] as const)));
  const allThere = async () => expect(Object.values(await survivors()).every(Boolean), JSON.stringify(await survivors())).toBe(true);

  beforeAll(async () => {
    b = await startGcBench();
    // The shared fixture's identities; the statuses below are rewritten onto the same namespace, name and uid.
    const t = await seedTenants(b.k8s);
    [A, B, ONLY_B] = [t.a.workflow, t.b.workflow, t.onlyB];
    await putOwned(B_KEYS, B);
    await putOwned([ONLY_B_OWED], ONLY_B);
    await putOwned([B_OWNED], B);
    await putOwned([FORGED_OWNER], { ...A, uid: B.uid });
    await b.writeWorkflow(spec(B, [{ name: 'out', key: 'team-b/same/p/out.tgz' }], { phase: 'Running' }));
    await b.writeWorkflow(spec(ONLY_B, [{ name: 'owed', key: ONLY_B_OWED }], { strategy: 'OnWorkflowDeletion' }));
  });
  afterAll(async () => {
    await b?.close();
  });

  it('completion event: team-a reclaims its own artifacts (and its recorded object outside its prefix); every claim on team-b is refused and audited', async () => {
    await b.writeWorkflow(teamA());
    await b.put(['team-a/same/p/out.tgz', 'team-a/same/p/dir/1', 'team-a/same/p/dir/2/3', 'team-a/same/p/tree/a', 'team-a/same/p/later.tgz', 'team-a/same/p/kept.tgz']);
    await putOwned(['elsewhere/written-by-a.bin'], A);
    const app = b.app();

    const s = await app.handleEvents(kubeEvent({ metadata: A }));
    expect(s.errors).toEqual([]);
    const byArtifact = Object.fromEntries(s.plan.map((p) => [p.artifact, p]));
    // Argo semantics for team-a's own: OnWorkflowCompletion now, OnWorkflowDeletion owed, Never kept.
    for (const own of ['out', 'dir', 'tree', 'mine-outside']) expect(byArtifact[own], own).toMatchObject({ action: 'delete' });
    expect(byArtifact.later).toMatchObject({ action: 'defer' });
    expect(byArtifact.kept).toMatchObject({ action: 'keep' });
    // Prefixes outside team-a/same/ are refused at once; objects when no recorded owner proves them team-a's.
    expect(byArtifact['b-prefix']).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/prefix team-b\/same\/ is outside the workflow's own prefix team-a\/same\//) });
    expect(byArtifact.legacy).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/prefix same\/ is outside/) });
    // (b-auto's directory also lies inside b-prefix, which this workflow does not reclaim with it.)
    expect(byArtifact['b-auto']).toMatchObject({ action: 'refuse' });
    for (const theirs of ['b-object', 'b-owned', 'forged-owner']) {
      expect(byArtifact[theirs], theirs).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/is outside the workflow's own prefix team-a\/same\/ and is not an object recorded as written by it/) });
    }
    expect(s).toMatchObject({ deleted: 4, refused: 6, failed: 0 });

    expect(await b.keys('team-a/')).toEqual(['team-a/same/p/kept.tgz', 'team-a/same/p/later.tgz']);
    expect(await b.exists('elsewhere/written-by-a.bin')).toBe(false);
    await allThere();
    const refusals = (await b.audit()).filter((r) => r.workflow?.uid === A.uid && r.action === 'refuse');
    expect(refusals.map((r) => r.artifact).sort()).toEqual(['b-auto', 'b-object', 'b-owned', 'b-prefix', 'forged-owner', 'legacy']);
    expect(refusals.every((r) => typeof r.reason === 'string' && r.reason.length > 0)).toBe(true);
    // Refused items never wait in the ledger: only team-a's own OnWorkflowDeletion item is owed.
    expect((await readEntry(b.oss, A.uid))?.items.map((i) => i.artifact)).toEqual(['later', 'b-later']);
  });

  it('forged uids in events: a ghost or another workflow carrying team-b’s uid runs none of team-b’s GC state', async () => {
    const app = b.app();
    // team-b/only-b completes: its OnWorkflowDeletion artifact is owed in the ledger.
    expect(await app.handleEvents(kubeEvent({ metadata: ONLY_B }))).toMatchObject({ deferred: 1, errors: [] });
    const events = [
      kubeEvent({ metadata: { namespace: 'team-a', name: 'ghost', uid: ONLY_B.uid } }, 'WorkflowFailed'),
      kubeEvent({ metadata: { namespace: 'team-a', name: 'same', uid: ONLY_B.uid } }, 'WorkflowFailed'),
      kubeEvent({ metadata: { namespace: 'team-b', name: 'ghost', uid: ONLY_B.uid } }, 'WorkflowFailed'),
    ];
    const s = await app.handleEvents(events);
    expect(s).toMatchObject({ deleted: 0, refused: 3, errors: [] });
    expect(s.plan.every((p) => /belongs to team-b\/only-b/.test(p.reason))).toBe(true);
    expect(await b.exists(ONLY_B_OWED)).toBe(true);
    expect((await readEntry(b.oss, ONLY_B.uid))?.deletedAt).toBeUndefined();
    // The event with only-b's own name and uid while only-b exists: no deletion-time action either.
    expect(await app.handleEvents(kubeEvent({ metadata: ONLY_B }, 'WorkflowFailed'))).toMatchObject({ deleted: 0, errors: [] });
    expect(await b.exists(ONLY_B_OWED)).toBe(true);
    const audited = (await b.audit()).filter((r) => r.action === 'refuse' && /only-b/.test(r.reason ?? ''));
    expect(audited.map((r) => `${r.workflow?.namespace}/${r.workflow?.name}`).sort()).toEqual(['team-a/ghost', 'team-a/same', 'team-b/ghost']);
  });

  it('forged whole-Workflow CloudEvents are re-read from the cluster: a fake deletion or completion of team-b’s workflows does nothing', async () => {
    const app = b.app();
    const ce = (type: string, data: unknown) => ({ specversion: '1.0', id: `${type}-${Math.random()}`, source: 'attacker', type, data });
    // only-b "deleted" (it still exists); team-b/same "completed" with a status naming its own bytes (it is Running);
    // Argo Events' DELETE of team-b/same carrying team-a's uid; a deleted ghost with only-b's uid.
    const fakeB = spec(B, [{ name: 'out', key: 'team-b/same/p/out.tgz' }, { name: 'dir', key: 'team-b/same/p/dir/' }]);
    const s = await app.handleEvents([
      ce('argo-oss-artifacts.workflow.deleted', spec(ONLY_B, [{ name: 'owed', key: ONLY_B_OWED }], { strategy: 'OnWorkflowDeletion' })),
      ce('argo-oss-artifacts.workflow.completed', fakeB),
      { ...ce('resource', { type: 'DELETE', body: { ...fakeB, metadata: { ...fakeB.metadata, uid: A.uid } } }) },
      ce('argo-oss-artifacts.workflow.deleted', spec({ namespace: 'team-b', name: 'ghost', uid: ONLY_B.uid }, [])),
    ]);
    expect(s).toMatchObject({ deleted: 0, errors: [] });
    expect(s.events).toMatchObject({ received: 4, malformed: 0 });
    await allThere();
    expect((await readEntry(b.oss, ONLY_B.uid))?.deletedAt).toBeUndefined();
    expect(await readEntry(b.oss, B.uid)).toBeUndefined();
  });

  it('reconcile: a team-a prefix over team-b’s unlisted objects is refused (no status lists them); deletions reclaim only what is team-a’s', async () => {
    // A team-a workflow only the reconcile sees (missed event), claiming team-b's whole namespace.
    const sweep: WorkflowIdentity = { namespace: 'team-a', name: 'sweep', uid: '00000000-0000-4000-8000-00000000a002' };
    await b.writeWorkflow(spec(sweep, [{ name: 'all-of-b', key: 'team-b/' }, { name: 'own', key: 'team-a/sweep/p/out.tgz' }]));
    await b.put(['team-a/sweep/p/out.tgz']);
    const app = b.app();
    const r = await app.reconcile();
    expect(r).toMatchObject({ deleted: 1, refused: 1, errors: [] });
    expect(r.plan.find((p) => p.artifact === 'all-of-b')).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/prefix team-b\/ is outside the workflow's own prefix team-a\/sweep\//) });
    expect(await b.exists('team-a/sweep/p/out.tgz')).toBe(false);
    await allThere();

    // team-a/same is deleted: its OnWorkflowDeletion artifact goes; the deletion-owed claim on team-b's object is refused then.
    await b.removeWorkflow(teamA());
    const d = await app.reconcile();
    expect(d).toMatchObject({ deleted: 1, refused: 1, errors: [] });
    expect(d.plan.find((p) => p.artifact === 'b-later')).toMatchObject({ action: 'refuse' });
    expect(await b.exists('team-a/same/p/later.tgz')).toBe(false);
    expect(await b.exists('team-a/same/p/kept.tgz')).toBe(true);
    expect(await readEntry(b.oss, A.uid)).toBeUndefined();
    await allThere();

    // team-b can still use its own GC: only-b deleted → its owed artifact is reclaimed.
    await b.removeWorkflow(spec(ONLY_B, []));
    expect(await app.reconcile()).toMatchObject({ deleted: 1, errors: [] });
    expect(await b.exists(ONLY_B_OWED)).toBe(false);
    expect(await b.exists('team-b/same/p/out.tgz')).toBe(true);
  });

  it('a ledger entry written before the ownership rule (items outside the prefix) is held to it when it runs', async () => {
    const old: WorkflowIdentity = { namespace: 'team-a', name: 'old', uid: '00000000-0000-4000-8000-00000000a003' };
    await b.put(['team-a/old/p/out.tgz']);
    const stamp = new Date().toISOString();
    const item = (artifact: string, target: { kind: 'object'; key: string } | { kind: 'prefix'; prefix: string }) => ({
      node: 'old-1', artifact, key: target.kind === 'object' ? target.key : target.prefix, target, strategy: 'OnWorkflowDeletion' as const, onDeletion: true, attempts: 0,
    });
    await putObject(b.oss, `.argo-oss/gc/ledger/${old.uid}.json`, JSON.stringify({
      version: 1, workflow: old, phase: 'Succeeded', when: 'Always', delaySeconds: 0, createdAt: stamp, updatedAt: stamp,
      items: [item('own', { kind: 'object', key: 'team-a/old/p/out.tgz' }), item('b-dir', { kind: 'prefix', prefix: 'team-b/same/p/dir/' }), item('legacy', { kind: 'prefix', prefix: 'same/' }), item('b-obj', { kind: 'object', key: 'team-b/same/unlisted.bin' })],
    }));
    const r = await b.app().reconcile();
    expect(r).toMatchObject({ deleted: 1, refused: 3, errors: [] });
    expect(await b.exists('team-a/old/p/out.tgz')).toBe(false);
    await allThere();
    expect(await readEntry(b.oss, old.uid)).toBeUndefined();
  });

  it('Argo’s per-artifact lifecycleRule tags team-a’s own objects, never team-b’s', async () => {
    const lc: WorkflowIdentity = { namespace: 'team-a', name: 'tiered', uid: '00000000-0000-4000-8000-00000000a004' };
    const rule = { markInfrequentAccessAfterDays: 10, markDeletionAfterDays: 30 };
    const wf = spec(lc, [
      { name: 'model', key: 'team-a/tiered/p/model.tgz', extra: { oss: { key: 'team-a/tiered/p/model.tgz', lifecycleRule: rule } } },
      { name: 'b-model', key: 'team-b/same/p/out.tgz', extra: { oss: { key: 'team-b/same/p/out.tgz', lifecycleRule: rule } } },
      { name: 'b-dir', key: 'team-b/same/p/dir/', extra: { oss: { key: 'team-b/same/p/dir/', lifecycleRule: rule } } },
    ], { strategy: 'OnWorkflowDeletion' });
    await b.writeWorkflow(wf);
    await b.put(['team-a/tiered/p/model.tgz']);
    const s = await b.app().handleEvents(kubeEvent(wf));
    expect(s).toMatchObject({ errors: [] });
    expect(await getObjectTags(b.oss, 'team-a/tiered/p/model.tgz')).toEqual({ 'argo-oss-lifecycle': 'ia10-del30' });
    for (const k of ['team-b/same/p/out.tgz', 'team-b/same/p/dir/x.txt', 'team-b/same/p/dir/y/z.txt']) expect(await getObjectTags(b.oss, k), k).toEqual({});
    // The two lifecycle claims on team-b are refused and audited (the deletion-time ones wait, and are refused then).
    const lifecycle = s.plan.filter((p) => p.action === 'refuse' && /lifecycleRule not applied/.test(p.reason));
    expect(lifecycle.map((p) => p.artifact).sort()).toEqual(['b-dir', 'b-model']);
    expect((await b.audit()).filter((r) => r.workflow?.uid === lc.uid && r.action === 'refuse').map((r) => r.artifact).sort()).toEqual(expect.arrayContaining(['b-dir', 'b-model']));
  });
});
