// The GC reconcile through the local stack: missed completion events, namespaces, stale multipart
// uploads (raw and the coordinator's manifests), the declared lifecycle rules file, Argo's
// per-artifact lifecycleRule on completion, and forgetting markers after the retention.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handledKey } from '../shared/gc';
import { readHandled } from '../shared/gc/ledger';
import {
  getLifecycleRules,
  getObjectTags,
  initiateMultipartUpload,
  iterateMultipartUploads,
  objectExists,
  uploadPart,
} from '../shared/oss';
import { claimIndex, indexKeyFor, manifestKey, readIndex, writeManifest, type UploadManifest } from '../shared/upload/manifest';
import { kubeEvent, startGcBench, workflow, type GcBench } from './helpers/gc';

describe('artifact GC reconcile', () => {
  let b: GcBench;
  let dir: string;
  beforeAll(async () => {
    b = await startGcBench();
    dir = await mkdtemp(join(tmpdir(), 'gc-reconcile-'));
  });
  afterAll(async () => {
    await b?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('handles completions whose events were missed, only in the configured namespaces', async () => {
    const a = workflow({ name: 'missed', namespace: 'team-a', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'team-a/missed/p/out.tgz' }] });
    const running = workflow({ name: 'running', namespace: 'team-a', phase: 'Running', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'team-a/running/p/out.tgz' }] });
    const other = workflow({ name: 'elsewhere', namespace: 'team-b', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'team-b/elsewhere/p/out.tgz' }] });
    for (const wf of [a, running, other]) await b.writeWorkflow(wf);
    await b.put(['team-a/missed/p/out.tgz', 'team-a/running/p/out.tgz', 'team-b/elsewhere/p/out.tgz']);
    const app = b.app({ ARGO_OSS_GC_NAMESPACES: 'team-a' });
    const r = await app.reconcile();
    expect(r).toMatchObject({ deleted: 1, errors: [] });
    expect(r.workflows).toMatchObject({ listed: 2, missedCompletions: 1 });
    expect(await b.exists('team-a/missed/p/out.tgz')).toBe(false);
    expect(await b.exists('team-a/running/p/out.tgz')).toBe(true);
    expect(await b.exists('team-b/elsewhere/p/out.tgz')).toBe(true);
    // The late event for it is now a duplicate; a second reconcile has nothing to do.
    expect((await app.handleEvents(kubeEvent(a))).events).toMatchObject({ duplicates: 1 });
    expect(await app.reconcile()).toMatchObject({ deleted: 0, planned: 0 });
    for (const wf of [a, running, other]) await b.removeWorkflow(wf);
  });

  it('forgets a handled workflow seven days after it is gone', async () => {
    const wf = workflow({ name: 'forget-me', strategy: 'OnWorkflowCompletion', artifacts: [{ name: 'out', key: 'argo/forget-me/p/out.tgz' }] });
    await b.writeWorkflow(wf);
    const app = b.app();
    await app.handleEvents(kubeEvent(wf));
    expect(await readHandled(b.oss, wf.metadata.uid!)).toMatchObject({ workflow: { name: 'forget-me' } });
    await b.removeWorkflow(wf);
    await app.reconcile();
    const marker = await readHandled(b.oss, wf.metadata.uid!);
    expect(marker?.goneAt).toBeDefined();
    b.clock.advance(6 * 86400_000);
    await app.reconcile();
    expect(await objectExists(b.oss, handledKey(wf.metadata.uid!))).toBe(true);
    b.clock.advance(2 * 86400_000);
    await app.reconcile();
    expect(await objectExists(b.oss, handledKey(wf.metadata.uid!))).toBe(false);
    b.clock.offsetMs = 0;
  });

  it('aborts stale multipart uploads and the coordinator’s idle uploads, keeping live ones', async () => {
    const part = Buffer.alloc(1024, 1);
    const raw = await initiateMultipartUpload(b.oss, 'up/raw.bin');
    await uploadPart(b.oss, raw, 1, part);
    const manifest = async (key: string, state: UploadManifest['state'], updatedAt: Date) => {
      const ref = await initiateMultipartUpload(b.oss, key);
      await uploadPart(b.oss, ref, 1, part);
      const indexKey = indexKeyFor({ owner: 'workflow:argo/uid-stale', key, size: 1024, writers: 1 });
      await claimIndex(b.oss, indexKey, { uploadId: ref.uploadId, key });
      const m: UploadManifest = {
        version: 1,
        uploadId: ref.uploadId,
        key,
        size: 1024,
        partSize: 1024,
        partCount: 1,
        writers: [{ writer: 1, firstPart: 1, lastPart: 1, start: 0, end: 1024 }],
        createdAt: updatedAt.toISOString(),
        owner: { username: 'test', admin: true },
        indexKey,
        state,
        updatedAt: updatedAt.toISOString(),
      };
      await writeManifest(b.oss, m);
      return { ref, indexKey };
    };
    const later = new Date(Date.now() + 49 * 3600_000);
    const idle = await manifest('up/idle.bin', 'uploading', new Date());
    const live = await manifest('up/live.bin', 'uploading', later);
    const app = b.app({ ARGO_OSS_GC_STALE_UPLOAD_HOURS: '48' });

    // Nothing is stale yet.
    expect((await app.reconcile()).uploads).toEqual({ aborted: 0, manifestsRemoved: 0, failed: 0 });
    b.clock.advance(49 * 3600_000);
    expect((await app.reconcile({ dryRun: true })).uploads).toEqual({ aborted: 2, manifestsRemoved: 1, failed: 0 });
    const r = await app.reconcile();
    expect(r.uploads).toEqual({ aborted: 2, manifestsRemoved: 1, failed: 0 });
    const left: string[] = [];
    for await (const page of iterateMultipartUploads(b.oss, { prefix: 'up/' })) left.push(...page.uploads.map((u) => u.uploadId));
    expect(left).toEqual([live.ref.uploadId]);
    expect(await objectExists(b.oss, manifestKey(idle.ref.uploadId))).toBe(false);
    expect(await readIndex(b.oss, idle.indexKey)).toBeUndefined();
    expect(await objectExists(b.oss, manifestKey(live.ref.uploadId))).toBe(true);
    const audit = (await b.audit()).filter((a) => a.action === 'abort-upload');
    expect(audit.map((a) => a.key).sort()).toEqual(['up/idle.bin', 'up/raw.bin']);
    b.clock.offsetMs = 0;
  });

  it('keeps the declared lifecycle rules applied', async () => {
    const file = join(dir, 'rules.yaml');
    await writeFile(file, 'rules:\n  - id: logs\n    prefix: logs/\n    expireAfterDays: 30\n');
    const app = b.app({ ARGO_OSS_LIFECYCLE_RULES: file });
    const dry = await app.reconcile({ dryRun: true });
    expect(dry.lifecycle).toMatchObject({ changed: true, added: ['argo-oss-logs'] });
    expect(await getLifecycleRules(b.oss)).toEqual([]);
    const r = await app.reconcile();
    expect(r).toMatchObject({ lifecycle: { changed: true, added: ['argo-oss-logs'] }, errors: [] });
    expect((await getLifecycleRules(b.oss)).map((x) => x.id)).toEqual(['argo-oss-logs']);
    expect((await app.reconcile()).lifecycle).toMatchObject({ changed: false });
    await writeFile(file, 'rules:\n  - id: logs\n    prefix: [not a prefix\n');
    expect((await app.reconcile()).errors).toEqual([expect.stringMatching(/^lifecycle: /)]);
  });

  it('applies Argo’s per-artifact lifecycleRule to the artifacts a completion keeps', async () => {
    const wf = workflow({
      name: 'tiered',
      strategy: 'OnWorkflowDeletion',
      artifacts: [
        { name: 'model', key: 'argo/tiered/p/model.tgz', extra: { oss: { key: 'argo/tiered/p/model.tgz', lifecycleRule: { markInfrequentAccessAfterDays: 10, markDeletionAfterDays: 30 } } } },
        { name: 'gone', key: 'argo/tiered/p/gone.tgz', strategy: 'OnWorkflowCompletion', extra: { oss: { key: 'argo/tiered/p/gone.tgz', lifecycleRule: { markDeletionAfterDays: 5 } } } },
      ],
    });
    await b.writeWorkflow(wf);
    await b.put(['argo/tiered/p/model.tgz', 'argo/tiered/p/gone.tgz']);
    const s = await b.app().handleEvents(kubeEvent(wf));
    expect(s).toMatchObject({ deleted: 1, deferred: 1, errors: [] });
    expect(await getObjectTags(b.oss, 'argo/tiered/p/model.tgz')).toEqual({ 'argo-oss-lifecycle': 'ia10-del30' });
    expect((await getLifecycleRules(b.oss)).map((x) => x.id)).toContain('argo-oss-argo-ia10-del30');
    expect((await getLifecycleRules(b.oss)).map((x) => x.id)).not.toContain('argo-oss-argo-ia0-del5');
  });
});
