// The periodic reconcile (FC timer, POST /reconcile, `argo-oss gc reconcile`). Kubernetes emits no
// event when a Workflow is deleted and events can be lost, so this is what makes GC complete:
//
// 1. List every Workflow (ARGO_OSS_GC_NAMESPACES or all namespaces; paged). If any page fails,
//    nothing is judged deleted in this run: a partial list must never look like a deletion.
// 2. Completed workflows with no ledger entry and no marker → handled now (missed events); refused
//    ones again when their annotations changed.
// 3. Ledger entries whose uid is not listed (deleted, or the name reused with a new uid) or whose
//    workflow has a deletionTimestamp → deleted: OnWorkflowDeletion items become due (after gc-delay).
//    Then every due item and every failed item past its backoff runs, through the ownership rule
//    (ownership.ts) like every GC deletion — never through what live statuses happen to list.
// 4. Markers of workflows that are gone are forgotten 7 days later (late duplicates stop there).
// 5. Stale multipart uploads are aborted; the declared lifecycle rules are re-applied.
// Every step is idempotent and claims work with forbid-overwrite where two runs could race, so
// reconciles may overlap each other and the event handler.
import type { Workflow } from '../argo';
import {
  annotationFingerprint,
  forgetHandled,
  forgetRefused,
  GONE_RETENTION_MS,
  listEntryUids,
  listHandledUids,
  listRefused,
  readEntry,
  readHandled,
  readRefused,
} from './ledger';
import { isCompleted } from './policy';
import { iterateWorkflows } from './workflows';
import { handleWorkflow, noteGone, refuseOtherIdentity, runEntry, type GcRun } from './workflow-gc';
import { abortStaleUploads } from './stale-uploads';

export interface ReconcileOptions {
  namespaces: readonly string[];
  staleUploadHours: number;
  /** Runs the declared lifecycle rules (ARGO_OSS_LIFECYCLE_RULES); its result goes into the summary. */
  lifecycle?: () => Promise<unknown>;
}

interface Listed {
  namespace: string;
  name: string;
  deleting: boolean;
  fingerprint: string;
}

const errorText = (err: unknown) => (err as Error)?.message ?? String(err);

export async function reconcile(run: GcRun, opts: ReconcileOptions): Promise<void> {
  const { oss, summary } = run;
  const covered = (ns: string) => opts.namespaces.length === 0 || opts.namespaces.includes(ns);
  try {
    await reconcileWorkflows(run, opts, covered);
  } catch (err) {
    summary.error(`workflows: ${errorText(err)}`);
    run.log({ level: 'error', msg: 'reconcile of workflows failed', error: errorText(err) });
  }
  try {
    summary.summary.uploads = await abortStaleUploads(oss, { now: run.now(), staleHours: opts.staleUploadHours, artifactRoot: run.settings.artifactRoot, dryRun: run.settings.dryRun, audit: run.audit });
  } catch (err) {
    summary.error(`stale uploads: ${errorText(err)}`);
  }
  if (opts.lifecycle) {
    try {
      summary.summary.lifecycle = await opts.lifecycle();
      await run.audit.record({ action: 'lifecycle', result: run.settings.dryRun ? 'planned' : 'ok', reason: JSON.stringify(summary.summary.lifecycle) });
    } catch (err) {
      summary.error(`lifecycle: ${errorText(err)}`);
      await run.audit.record({ action: 'lifecycle', result: 'error', error: errorText(err) });
    }
  }
}

async function reconcileWorkflows(run: GcRun, opts: ReconcileOptions, covered: (ns: string) => boolean): Promise<void> {
  const { oss, summary } = run;
  if (!run.workflows) throw new Error('no cluster access configured: cannot list workflows');
  // Our state first: a workflow that completes after this listing is left to its event or the next run.
  const [ledger, handled, refused] = await Promise.all([listEntryUids(oss), listHandledUids(oss), listRefused(oss)]);

  const listed = new Map<string, Listed>();
  const missed: Workflow[] = [];
  for await (const page of iterateWorkflows(run.workflows, opts.namespaces)) {
    for (const wf of page) {
      const uid = wf.metadata.uid;
      if (!uid) continue;
      const fingerprint = annotationFingerprint(wf.metadata.annotations);
      listed.set(uid, { namespace: wf.metadata.namespace ?? 'default', name: wf.metadata.name ?? '', deleting: !!wf.metadata.deletionTimestamp, fingerprint });
      if (!isCompleted(wf) && !wf.metadata.deletionTimestamp) continue;
      if (ledger.has(uid) || handled.has(uid)) continue;
      if (refused.get(uid)?.includes(fingerprint)) continue;
      missed.push(wf);
    }
  }
  const stats = (summary.summary.workflows = { listed: listed.size, missedCompletions: 0, deletionsDetected: 0 });

  // 2. Missed completions (and refused workflows whose annotations changed).
  for (const wf of missed) {
    const uid = wf.metadata.uid!;
    try {
      if (!run.settings.dryRun) for (const fp of refused.get(uid) ?? []) await forgetRefused(oss, uid, fp);
      const outcome = await handleWorkflow(run, wf, wf.metadata.deletionTimestamp ? 'deleted' : 'completed');
      if (outcome === 'handled' || outcome === 'refused') stats.missedCompletions++;
    } catch (err) {
      summary.error(`workflow ${wf.metadata.namespace}/${wf.metadata.name}: ${errorText(err)}`);
    }
  }

  // 3. Ledger entries: deletions, due and retried items.
  for (const uid of ledger) {
    try {
      const entry = await readEntry(oss, uid);
      if (!entry || !covered(entry.workflow.namespace)) continue;
      const now = listed.get(uid);
      if (now && (now.namespace !== entry.workflow.namespace || now.name !== entry.workflow.name)) {
        await refuseOtherIdentity(run, { namespace: now.namespace, name: now.name, uid }, entry.workflow, 'the ledger entry');
        continue;
      }
      // The listing of the entry's namespace is complete: an unlisted uid is gone.
      const gone = !now || now.deleting;
      if (gone && !entry.deletedAt) stats.deletionsDetected++;
      await runEntry(run, entry, { gone });
    } catch (err) {
      summary.error(`ledger ${uid}: ${errorText(err)}`);
    }
  }

  // 4. Markers of workflows that are gone (only in namespaces this run listed): stamped when first seen
  //    gone, forgotten GONE_RETENTION_MS later.
  if (run.settings.dryRun) return;
  const nowMs = run.now().getTime();
  for (const uid of handled) {
    if (listed.has(uid) || ledger.has(uid)) continue;
    try {
      const marker = await readHandled(oss, uid);
      if (!marker || !covered(marker.workflow.namespace)) continue;
      if (!marker.goneAt) await noteGone(run, marker);
      else if (nowMs - Date.parse(marker.goneAt) > GONE_RETENTION_MS) await forgetHandled(oss, uid);
    } catch (err) {
      summary.error(`marker ${uid}: ${errorText(err)}`);
    }
  }
  for (const [uid, fingerprints] of refused) {
    if (listed.has(uid)) continue;
    for (const fp of fingerprints) {
      try {
        const marker = await readRefused(oss, uid, fp);
        if (marker && covered(marker.workflow.namespace)) await forgetRefused(oss, uid, fp);
      } catch (err) {
        summary.error(`marker ${uid}: ${errorText(err)}`);
      }
    }
  }
}
