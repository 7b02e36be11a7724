// What GC must never delete, through the local stack with real clients: malicious or broken keys,
// other buckets, the reserved prefix, prefixes covering another workflow; bad annotations and
// unreadable node status refuse the whole workflow. Every refusal is audited.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEntry } from '../shared/gc';
import { kubeEvent, startGcBench, workflow, type GcBench } from './helpers/gc';

describe('artifact GC safety', () => {
  let b: GcBench;
  beforeAll(async () => {
    b = await startGcBench();
  });
  afterAll(async () => {
    await b?.close();
  });

  it('refuses and audits malicious keys, other buckets and the reserved prefix', async () => {
    const wf = workflow({
      name: 'evil',
      strategy: 'OnWorkflowCompletion',
      artifacts: [
        { name: 'empty', key: '' },
        { name: 'root', key: '/' },
        { name: 'up', key: '../evil/x.tgz' },
        { name: 'inner-up', key: 'argo/evil/../victim/' },
        { name: 'double', key: 'argo/evil//' },
        { name: 'ledger', key: '.argo-oss/' },
        { name: 'manifest', key: '.argo-oss/uploads/x.json' },
        { name: 'other-bucket', key: 'argo/evil/p/x.tgz', extra: { oss: { key: 'argo/evil/p/x.tgz', bucket: 'someone-else', endpoint: 'oss-cn-hangzhou.aliyuncs.com' } } },
        { name: 'other-endpoint', key: 'argo/evil/p/y.tgz', extra: { oss: { key: 'argo/evil/p/y.tgz', bucket: 'argo-artifacts', endpoint: 'https://evil.example.com' } } },
        { name: 'fine', key: 'argo/evil/p/fine.tgz' },
      ],
    });
    await b.writeWorkflow(wf);
    await b.put(['.argo-oss/other/keep.json', '.argo-oss/uploads/x.json', 'argo/evil/p/x.tgz', 'argo/evil/p/y.tgz', 'argo/evil/p/fine.tgz', 'victim/p/out.tgz']);
    const s = await b.app().handleEvents(kubeEvent(wf));
    expect(s).toMatchObject({ deleted: 1, refused: 9, failed: 0, errors: [] });
    expect(await b.exists('.argo-oss/other/keep.json')).toBe(true);
    expect(await b.exists('.argo-oss/uploads/x.json')).toBe(true);
    expect(await b.exists('argo/evil/p/x.tgz')).toBe(true);
    expect(await b.exists('argo/evil/p/y.tgz')).toBe(true);
    expect(await b.exists('victim/p/out.tgz')).toBe(true);
    expect(await b.exists('argo/evil/p/fine.tgz')).toBe(false);

    const refusals = Object.fromEntries((await b.audit()).filter((a) => a.workflow?.name === 'evil' && a.action === 'refuse').map((a) => [a.artifact, a.reason]));
    expect(Object.keys(refusals).sort()).toEqual(['double', 'empty', 'inner-up', 'ledger', 'manifest', 'other-bucket', 'other-endpoint', 'root', 'up']);
    expect(refusals.empty).toMatch(/empty key/);
    expect(refusals.root).toMatch(/root prefix/);
    expect(refusals.up).toMatch(/'\.\.'/);
    expect(refusals.ledger).toMatch(/reserved prefix \.argo-oss\//);
    expect(refusals['other-bucket']).toMatch(/bucket "someone-else" is not served/);
    expect(refusals['other-endpoint']).toMatch(/endpoint "https:\/\/evil.example.com" is not served/);
  });

  it('never deletes a prefix that covers another workflow’s artifacts', async () => {
    const victim = workflow({ name: 'victim', strategy: 'OnWorkflowDeletion', artifacts: [{ name: 'out', key: 'argo/victim/p/out.tgz' }] });
    const greedy = workflow({
      name: 'greedy',
      strategy: 'OnWorkflowCompletion',
      artifacts: [{ name: 'all', key: 'argo/victim/' }, { name: 'dir', key: 'shared-scratch', archiveNone: true }, { name: 'mine', key: 'argo/greedy/p/dir/' }],
    });
    await b.writeWorkflow(victim);
    await b.writeWorkflow(greedy);
    await b.put(['argo/victim/p/out.tgz', 'argo/victim/p/other.txt', 'shared-scratch/a', 'shared-scratch/b', 'argo/greedy/p/dir/a', 'argo/greedy/p/dir/b']);
    const app = b.app();

    // Outside argo/greedy/ nothing is the workflow's: the prefix is refused at once, the directory
    // (no object at the key recorded as greedy's) when it comes to deleting it. Its own directory goes.
    const s = await app.handleEvents(kubeEvent(greedy));
    expect(s).toMatchObject({ deleted: 1, refused: 2, errors: [] });
    expect(s.plan.find((p) => p.artifact === 'all')).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/prefix argo\/victim\/ is outside the workflow's own prefix argo\/greedy\//) });
    expect(s.plan.find((p) => p.artifact === 'dir')).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/shared-scratch is outside the workflow's own prefix/) });
    expect(await b.keys('argo/victim/')).toEqual(['argo/victim/p/other.txt', 'argo/victim/p/out.tgz']);
    expect(await b.keys('shared-scratch/')).toEqual(['shared-scratch/a', 'shared-scratch/b']);
    expect(await b.keys('argo/greedy/')).toEqual([]);
    // Refusals are final: nothing waits in the ledger, and the reconcile has nothing to do.
    expect(await readEntry(b.oss, greedy.metadata.uid!)).toBeUndefined();
    expect(await app.reconcile()).toMatchObject({ refused: 0, deleted: 0, errors: [] });
    const refused = (await b.audit()).filter((a) => a.workflow?.name === 'greedy' && a.action === 'refuse').map((a) => a.artifact);
    expect(refused.sort()).toEqual(['all', 'dir']);
  });

  it('refuses a workflow with bad annotations until they are fixed', async () => {
    const bad = workflow({ name: 'typo', strategy: 'OnWorkflowCompletion', annotations: { 'argo-oss-artifacts/gc-when': 'OnSuccess' }, artifacts: [{ name: 'out', key: 'argo/typo/p/out.tgz' }] });
    await b.writeWorkflow(bad);
    await b.put(['argo/typo/p/out.tgz']);
    const app = b.app();
    const s = await app.handleEvents(kubeEvent(bad));
    expect(s).toMatchObject({ refused: 1, deleted: 0 });
    expect(s.plan[0].reason).toMatch(/gc-when="OnSuccess" must be one of Always, Succeeded, Failed/);
    // Neither a duplicate event nor the reconcile audits it again.
    expect((await app.handleEvents(kubeEvent(bad))).events).toMatchObject({ duplicates: 1 });
    expect(await app.reconcile()).toMatchObject({ refused: 0, deleted: 0 });
    expect((await b.audit()).filter((a) => a.workflow?.name === 'typo' && a.action === 'refuse')).toHaveLength(1);
    expect(await b.exists('argo/typo/p/out.tgz')).toBe(true);
    // Fixed: the reconcile plans it.
    await b.writeWorkflow(workflow({ name: 'typo', strategy: 'OnWorkflowCompletion', annotations: { 'argo-oss-artifacts/gc-when': 'Succeeded' }, artifacts: [{ name: 'out', key: 'argo/typo/p/out.tgz' }] }));
    expect(await app.reconcile()).toMatchObject({ deleted: 1, errors: [] });
    expect(await b.exists('argo/typo/p/out.tgz')).toBe(false);
  });

  it('refuses offloaded node status and reads compressed nodes', async () => {
    const offloaded = workflow({ name: 'offloaded', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'argo/offloaded/p/out.tgz' }] });
    offloaded.status!.nodes = {};
    offloaded.status!.offloadNodeStatusVersion = 'fnv:42';
    const compressed = workflow({ name: 'compressed', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'argo/compressed/p/out.tgz' }] });
    compressed.status!.compressedNodes = gzipSync(JSON.stringify(compressed.status!.nodes)).toString('base64');
    compressed.status!.nodes = {};
    await b.writeWorkflow(offloaded);
    await b.writeWorkflow(compressed);
    await b.put(['argo/offloaded/p/out.tgz', 'argo/compressed/p/out.tgz']);
    const s = await b.app().handleEvents([kubeEvent(offloaded), kubeEvent(compressed)]);
    expect(s).toMatchObject({ refused: 1, deleted: 1, errors: [] });
    expect(s.plan.find((p) => p.workflow === 'argo/offloaded')?.reason).toMatch(/offloaded/);
    expect(await b.exists('argo/offloaded/p/out.tgz')).toBe(true);
    expect(await b.exists('argo/compressed/p/out.tgz')).toBe(false);
    // Compressed status is not rewritten by mark-deleted.
    expect((await b.readWorkflow(compressed)).status!.compressedNodes).toBe(compressed.status!.compressedNodes);
  });
});
