// Directory artifacts of 2,500 objects, and OSS failures in the middle of a GC (fault injection on the
// local OSS server): the failed deletions wait in the ledger with a backoff and the next reconcile
// finishes them, with every object deleted exactly once and none missed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEntry } from '../shared/gc';
import { kubeEvent, startGcBench, workflow, type GcBench } from './helpers/gc';

const N = 2500;
const many = (prefix: string) => Array.from({ length: N }, (_, i) => `${prefix}${String(i).padStart(4, '0')}-${i % 7 === 0 ? 'sub/' : ''}f.txt`);

describe('artifact GC: big directories and OSS failures', () => {
  let b: GcBench;
  beforeAll(async () => {
    b = await startGcBench();
  });
  afterAll(async () => {
    await b?.close();
  });

  it('deletes a directory artifact of 2,500 objects (key ending in /) and nothing beside it', async () => {
    const wf = workflow({ name: 'tree', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'argo/tree/p/out/' }] });
    await b.writeWorkflow(wf);
    await b.put([...many('argo/tree/p/out/'), 'argo/tree/p/outside.txt', 'argo/tree/p/out.tgz']);
    const s = await b.app().handleEvents(kubeEvent(wf));
    expect(s).toMatchObject({ deleted: 1, objects: N, failed: 0, errors: [] });
    expect((await b.keys('argo/tree/')).sort()).toEqual(['argo/tree/p/out.tgz', 'argo/tree/p/outside.txt']);
  });

  it('retries what failed mid-GC in the next reconcile, deleting nothing twice and missing nothing', async () => {
    const wf = workflow({
      name: 'flaky',
      strategy: 'OnWorkflowCompletion',
      artifacts: [
        { name: 'dir', key: 'argo/flaky/p/dir', archiveNone: true },
        { name: 'a', key: 'argo/flaky/p/a.tgz' },
        { name: 'b', key: 'argo/flaky/p/b.tgz' },
        { name: 'c', key: 'argo/flaky/p/c.tgz' },
        { name: 'later', key: 'argo/flaky/p/later.tgz', strategy: 'OnWorkflowDeletion' },
      ],
    });
    await b.writeWorkflow(wf);
    await b.put([...many('argo/flaky/p/dir/'), 'argo/flaky/p/a.tgz', 'argo/flaky/p/b.tgz', 'argo/flaky/p/c.tgz', 'argo/flaky/p/later.tgz']);
    // The batch delete of the three objects fails, so does the first batch of the directory.
    await b.ossServer.admin('POST', '/faults', { match: { operation: 'DeleteMultipleObjects' }, count: 2, status: 503, code: 'ServiceUnavailable' });
    const app = b.app();

    const first = await app.handleEvents(kubeEvent(wf));
    expect(first).toMatchObject({ planned: 4, deleted: 0, failed: 4, deferred: 1, errors: [] });
    expect(await b.exists('argo/flaky/p/a.tgz')).toBe(true);
    const entry = await readEntry(b.oss, wf.metadata.uid!);
    const failed = entry!.items.filter((i) => i.attempts === 1);
    expect(failed.map((i) => i.artifact).sort()).toEqual(['a', 'b', 'c', 'dir']);
    expect(failed.every((i) => /ServiceUnavailable/.test(i.lastError ?? '') && Date.parse(i.nextAttemptAt!) > Date.now())).toBe(true);

    // Within the backoff nothing is retried; after it, everything is.
    expect(await app.reconcile()).toMatchObject({ planned: 0, deleted: 0, deferred: 5 });
    b.clock.advance(61_000);
    const second = await app.reconcile();
    expect(second).toMatchObject({ planned: 4, deleted: 4, failed: 0, deferred: 1, errors: [] });
    expect(await b.keys('argo/flaky/')).toEqual(['argo/flaky/p/later.tgz']);
    expect((await readEntry(b.oss, wf.metadata.uid!))!.items.map((i) => i.artifact)).toEqual(['later']);

    // Every object was deleted exactly once: the per-run counts add up to what existed.
    const deletes = (await b.audit()).filter((a) => a.workflow?.uid === wf.metadata.uid && a.action === 'delete');
    expect(deletes.filter((a) => a.result === 'error').map((a) => a.artifact).sort()).toEqual(['a', 'b', 'c', 'dir']);
    expect(deletes.filter((a) => a.result === 'error').every((a) => /ServiceUnavailable/.test(a.error ?? ''))).toBe(true);
    expect(deletes.reduce((n, a) => n + (a.objects ?? 0), 0)).toBe(N + 3);
    expect(first.objects + second.objects).toBe(N + 3);
    const patched = await b.readWorkflow(wf);
    expect(patched.status!.nodes!['flaky-1'].outputs!.artifacts!.filter((a) => a.deleted).map((a) => a.name).sort()).toEqual(['a', 'b', 'c', 'dir']);
    b.clock.offsetMs = 0;
  });

  it('keeps the owed items when the ledger cannot be read, and reports the error for a retry', async () => {
    const wf = workflow({ name: 'no-ledger', strategy: 'OnWorkflowDeletion', artifacts: [{ name: 'a', key: 'argo/no-ledger/p/a.tgz' }] });
    await b.writeWorkflow(wf);
    await b.put(['argo/no-ledger/p/a.tgz']);
    await b.ossServer.admin('POST', '/faults', { match: { operation: 'GetObject', keyPrefix: '.argo-oss/gc/ledger/' }, count: 1, status: 500, code: 'InternalError' });
    const app = b.app();
    const s = await app.handleEvents(kubeEvent(wf));
    expect(s.errors).toEqual([expect.stringMatching(/no-ledger.*\(500\)/)]);
    // The event is retried (FC async retry): now it goes through.
    expect(await app.handleEvents(kubeEvent(wf))).toMatchObject({ deferred: 1, errors: [] });
    await b.removeWorkflow(wf);
    expect(await app.reconcile()).toMatchObject({ deleted: 1, errors: [] });
    expect(await b.exists('argo/no-ledger/p/a.tgz')).toBe(false);
  });
});
