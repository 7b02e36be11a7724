// One workflow through GC: plan → claim in the ledger (write-ahead) → delete what is due → record what
// is left → optionally mark the artifacts deleted in the Workflow. Shared by the event handler and the
// reconcile, so a missed event and a late duplicate end up in exactly the same state.
import { gcCandidates } from './strategy';
import { lifecycleTargets, type LifecycleTarget } from './lifecycle-targets';
import {
  annotationFingerprint,
  backoffMs,
  claimHandled,
  claimRefused,
  createEntry,
  deleteEntry,
  dueItems,
  markDeleted,
  readEntry,
  readHandled,
  readRefused,
  writeEntry,
  writeHandled,
  type HandledMarker,
  type LedgerEntry,
  type LedgerItem,
} from './ledger';
import { isCompleted, planWorkflow, workflowRef, type GcDefaults } from './policy';
import { describeTarget } from './targets';
import { executeDeletes, type DeleteItemResult } from './execute';
import { authoriseTargets, type OwnershipRule } from './ownership';
import { markArtifactsDeleted } from './mark-deleted';
import type { AuditLog } from './audit';
import type { SummaryCollector } from './summary';
import type { WorkflowStore } from './workflows';
import type { Workflow, ServedStorage } from '../argo';
import type { OssClient } from '../oss';
import type { DeleteTarget, GcEventKind, WorkflowRef } from './types';
import { isSameWorkflow, isUid } from '../tenancy';

export interface GcSettings {
  defaults: GcDefaults;
  served: ServedStorage;
  artifactRoot: string;
  /** Whose keys a workflow's GC may delete or tag (ownership.ts). */
  ownership: OwnershipRule;
  dryRun: boolean;
  markDeleted: boolean;
  /** OSS requests in flight per step (default 8). */
  concurrency: number;
}

export type ApplyArtifactLifecycle = (targets: Array<{ key: string; rule: LifecycleTarget['rule'] }>) => Promise<{ tagged: number; rulesChanged: boolean }>;

/** Everything one run (an invocation, a reconcile) shares. */
export interface GcRun {
  oss: OssClient;
  workflows?: WorkflowStore;
  now: () => Date;
  settings: GcSettings;
  audit: AuditLog;
  summary: SummaryCollector;
  /** Structured log (one JSON line per call). */
  log: (record: Record<string, unknown>) => void;
  applyArtifactLifecycle?: ApplyArtifactLifecycle;
}

export type WorkflowOutcome = 'handled' | 'duplicate' | 'not-completed' | 'refused' | 'invalid';

const itemId = (i: { node: string; artifact: string }) => `${i.node}/${i.artifact}`;

/**
 * GC state is keyed by uid, but acts only for the workflow it was written for: a uid arriving with
 * another namespace/name (a forged or confused event) is refused and audited, never run.
 */
export async function refuseOtherIdentity(run: GcRun, ref: WorkflowRef, recorded: WorkflowRef, what: string): Promise<'refused'> {
  const reason = `${what} for uid ${ref.uid} belongs to ${recorded.namespace}/${recorded.name}, not ${ref.namespace}/${ref.name}: nothing done`;
  run.summary.summary.refused++;
  run.summary.line(ref, { node: '', artifact: '', action: 'refuse', reason });
  await run.audit.record({ action: 'refuse', result: 'ok', workflow: ref, reason });
  return 'refused';
}

/** Handles a completed (or deleted) workflow that may or may not have been seen before. */
export async function handleWorkflow(run: GcRun, wf: Workflow, event: GcEventKind, opts: { deletedAt?: Date } = {}): Promise<WorkflowOutcome> {
  const ref = workflowRef(wf);
  const { oss, settings } = run;
  if (!isUid(ref.uid) || ref.name === '') {
    run.log({ level: 'warn', msg: 'workflow without a valid uid/name ignored', workflow: ref });
    return 'invalid';
  }
  if (event === 'completed' && !isCompleted(wf)) {
    run.log({ level: 'info', msg: 'workflow not completed yet', workflow: ref, phase: wf.status?.phase ?? '' });
    return 'not-completed';
  }

  // Seen before? The ledger entry and the markers decide (duplicates, late and out-of-order events).
  const existing = await readEntry(oss, ref.uid);
  if (existing) {
    if (!isSameWorkflow(existing.workflow, ref)) return refuseOtherIdentity(run, ref, existing.workflow, 'the ledger entry');
    if (event === 'deleted') {
      await runEntry(run, existing, { gone: true, deletedAt: opts.deletedAt });
      return 'handled';
    }
    run.log({ level: 'info', msg: 'completion already handled (ledger entry)', workflow: ref });
    return 'duplicate';
  }
  const marker = await readHandled(oss, ref.uid);
  if (marker) {
    if (!isSameWorkflow(marker.workflow, ref)) return refuseOtherIdentity(run, ref, marker.workflow, 'the handled marker');
    // Nothing is owed; a deletion only starts the countdown to forgetting the workflow.
    if (event === 'deleted') await noteGone(run, marker);
    run.log({ level: 'info', msg: 'completion already handled (nothing owed)', workflow: ref, event });
    return 'duplicate';
  }
  const fingerprint = annotationFingerprint(wf.metadata.annotations);
  if (await readRefused(oss, ref.uid, fingerprint)) {
    run.log({ level: 'info', msg: 'workflow already refused with these annotations', workflow: ref });
    return 'duplicate';
  }

  const now = run.now();
  const plan = planWorkflow(wf, event, now, { defaults: settings.defaults, served: settings.served, artifactRoot: settings.artifactRoot, ownership: settings.ownership, deletedAt: opts.deletedAt });
  if (plan.notPlannable) {
    if (!plan.notPlannable.refused) return 'not-completed';
    const claimed = settings.dryRun || (await claimRefused(oss, { workflow: ref, at: now.toISOString(), reason: plan.notPlannable.reason }, fingerprint));
    if (!claimed) return 'duplicate';
    run.summary.summary.refused++;
    run.summary.line(ref, { node: '', artifact: '', action: 'refuse', reason: plan.notPlannable.reason });
    await run.audit.record({ action: 'refuse', result: 'ok', workflow: ref, reason: `workflow not plannable: ${plan.notPlannable.reason}` });
    return 'refused';
  }

  const policy = plan.policy!;
  const items: LedgerItem[] = [];
  for (const d of plan.decisions) {
    if ((d.action !== 'delete' && d.action !== 'defer') || !d.target || d.strategy === 'Never') continue;
    items.push({
      node: d.node,
      artifact: d.artifact,
      key: d.key!,
      target: d.target,
      strategy: d.strategy,
      ...(d.action === 'delete' ? { dueAt: now.toISOString() } : d.onDeletion ? { onDeletion: true } : { dueAt: d.dueAt }),
      attempts: 0,
    });
  }
  const stamp = now.toISOString();
  const entry: LedgerEntry = {
    version: 1,
    workflow: ref,
    phase: plan.phase,
    ...(plan.completedAt ? { completedAt: plan.completedAt } : {}),
    ...(plan.deletedAt ? { deletedAt: plan.deletedAt } : {}),
    when: policy.when,
    delaySeconds: policy.delaySeconds,
    items,
    createdAt: stamp,
    updatedAt: stamp,
  };

  // Claim: exactly one of several concurrent handlers of the same workflow gets past this point.
  if (!settings.dryRun) {
    const claimed = items.length > 0 ? await createEntry(oss, entry) : await claimHandled(oss, { workflow: ref, at: stamp, reason: 'nothing owed' });
    if (!claimed) {
      run.log({ level: 'info', msg: 'another handler claimed this workflow', workflow: ref });
      return 'duplicate';
    }
  }
  for (const d of plan.decisions) {
    if (d.action === 'delete') continue; // audited when executed
    if (d.action !== 'defer') run.summary.decision(ref, d);
    else run.summary.line(ref, { node: d.node, artifact: d.artifact, key: d.key, action: 'defer', reason: d.reason, ...(d.dueAt ? { dueAt: d.dueAt } : {}) });
    await run.audit.record({
      action: d.action,
      result: 'ok',
      workflow: ref,
      node: d.node,
      artifact: d.artifact,
      ...(d.key !== undefined ? { key: d.key } : {}),
      ...(d.target ? { target: describeTarget(d.target) } : {}),
      reason: d.reason,
      ...(d.dueAt ? { dueAt: d.dueAt } : {}),
    });
  }
  const reclaimedNow = new Set(plan.decisions.filter((d) => d.action === 'delete').map(itemId));
  if (event === 'completed' && run.applyArtifactLifecycle && !settings.dryRun) await applyLifecycle(run, wf, ref, reclaimedNow);
  if (items.length > 0) await runEntry(run, entry, { gone: event === 'deleted' });
  return 'handled';
}

/** Keys to tag for an authorised target: an object, a directory, or (auto, not proven an object) both. */
function tagKeys(t: DeleteTarget): string[] {
  return t.kind === 'object' ? [t.key] : t.kind === 'prefix' ? [t.prefix] : [t.key, `${t.key}/`];
}

/** Argo's lifecycleRule on the artifacts a completion keeps; only the workflow's own objects are tagged. */
async function applyLifecycle(run: GcRun, wf: Workflow, ref: WorkflowRef, reclaimedNow: Set<string>): Promise<void> {
  let wanted: LifecycleTarget[];
  try {
    wanted = lifecycleTargets(wf, gcCandidates(wf), reclaimedNow, run.settings);
  } catch {
    return; // unreadable nodes were reported by the plan
  }
  if (wanted.length === 0) return;
  const auth = await authoriseTargets(run.oss, ref, wanted.map((t) => t.target), run.settings.ownership, run.settings.concurrency);
  const targets: Array<{ key: string; rule: LifecycleTarget['rule'] }> = [];
  for (const [n, a] of auth.entries()) {
    const t = wanted[n];
    if (a.ok) {
      for (const key of tagKeys(a.target)) targets.push({ key, rule: t.rule });
      continue;
    }
    const reason = a.refused ? `lifecycleRule not applied: ${a.reason}` : `lifecycleRule not applied: ownership not checked (${a.error})`;
    if (a.refused) run.summary.summary.refused++;
    run.summary.line(ref, { node: t.node, artifact: t.artifact, key: t.key, action: a.refused ? 'refuse' : 'failed', reason });
    await run.audit.record({ action: a.refused ? 'refuse' : 'lifecycle', result: a.refused ? 'ok' : 'warning', workflow: ref, node: t.node, artifact: t.artifact, key: t.key, target: describeTarget(t.target), reason });
  }
  if (targets.length === 0) return;
  try {
    const r = await run.applyArtifactLifecycle!(targets);
    await run.audit.record({ action: 'lifecycle', result: 'ok', workflow: ref, objects: r.tagged, reason: `Argo lifecycleRule on ${targets.length} key(s)${r.rulesChanged ? '; bucket rules updated' : ''}` });
  } catch (err) {
    await run.audit.record({ action: 'lifecycle', result: 'warning', workflow: ref, error: (err as Error).message });
  }
}

export interface RunEntryOptions {
  /** The workflow no longer exists (or is being deleted). */
  gone: boolean;
  deletedAt?: Date;
}

/** Runs an entry's due items and persists what is left (entry rewritten, or removed when empty). */
export async function runEntry(run: GcRun, entry: LedgerEntry, opts: RunEntryOptions): Promise<void> {
  const { oss, settings, summary } = run;
  const ref = entry.workflow;
  const now = run.now();
  let changed = opts.gone ? markDeleted(entry, opts.deletedAt ?? now) : false;

  const due = dueItems(entry, now);
  // The ownership rule, right before deleting: also for items a ledger written by an older version holds.
  const auth = await authoriseTargets(oss, ref, due.map((i) => i.target), settings.ownership, settings.concurrency);
  const refused = new Set<LedgerItem>();
  const runnable: Array<{ item: LedgerItem; target: DeleteTarget }> = [];
  const unchecked: Array<{ item: LedgerItem; error: string }> = [];
  for (const [n, a] of auth.entries()) {
    const item = due[n];
    if (a.ok) runnable.push({ item, target: a.target });
    else if (!a.refused) unchecked.push({ item, error: `ownership not checked: ${a.error}` });
    else {
      refused.add(item);
      summary.summary.refused++;
      summary.line(ref, { node: item.node, artifact: item.artifact, key: item.key, action: 'refuse', reason: a.reason });
      await run.audit.record({ action: 'refuse', result: 'ok', workflow: ref, node: item.node, artifact: item.artifact, key: item.key, target: describeTarget(item.target), reason: a.reason });
    }
  }
  if (refused.size > 0 && !settings.dryRun) {
    entry.items = entry.items.filter((i) => !refused.has(i));
    changed = true;
  }

  summary.summary.planned += runnable.length + unchecked.length;
  const executed = await executeDeletes(
    oss,
    runnable.map(({ item, target }) => ({ id: itemId(item), target })),
    { dryRun: settings.dryRun, concurrency: settings.concurrency },
  );
  const attemptedItems = [...runnable.map((r) => r.item), ...unchecked.map((u) => u.item)];
  const results: DeleteItemResult[] = [...executed, ...unchecked.map((u) => ({ id: itemId(u.item), ok: false, resolved: 'gone' as const, objects: 0, error: u.error }))];
  const done = new Set<string>();
  for (const [n, r] of results.entries()) {
    const item = attemptedItems[n];
    const base = { workflow: ref, node: item.node, artifact: item.artifact, key: item.key, target: describeTarget(runnable[n]?.target ?? item.target) };
    if (settings.dryRun && r.ok) {
      summary.line(ref, { node: item.node, artifact: item.artifact, key: item.key, action: 'delete', reason: `dry run: would delete (${r.resolved})` });
      await run.audit.record({ ...base, action: 'dry-run', result: 'planned', reason: `would delete ${r.resolved === 'gone' ? 'nothing (already gone)' : `the ${r.resolved}`}` });
      continue;
    }
    summary.summary.objects += r.objects;
    if (r.ok) {
      done.add(r.id);
      summary.summary.deleted++;
      summary.line(ref, { node: item.node, artifact: item.artifact, key: item.key, action: 'delete', reason: item.strategy, objects: r.objects });
      await run.audit.record({ ...base, action: 'delete', result: 'ok', objects: r.objects, reason: `${item.strategy}${r.resolved === 'gone' ? ': nothing left to delete' : ''}` });
    } else {
      summary.summary.failed++;
      if (!settings.dryRun) {
        item.attempts++;
        item.lastError = r.error;
        item.nextAttemptAt = new Date(now.getTime() + backoffMs(item.attempts)).toISOString();
      }
      summary.line(ref, { node: item.node, artifact: item.artifact, key: item.key, action: 'failed', reason: r.error ?? 'failed', objects: r.objects });
      await run.audit.record({ ...base, action: 'delete', result: 'error', objects: r.objects, error: r.error, ...(r.ossRequestId ? { ossRequestId: r.ossRequestId } : {}), reason: settings.dryRun ? 'dry run' : `attempt ${item.attempts}; retried after ${item.nextAttemptAt}` });
    }
  }
  const attempted = new Set(due);
  summary.summary.deferred += entry.items.filter((i) => !attempted.has(i)).length;
  if (settings.dryRun) return;

  if (results.length > 0) {
    entry.items = entry.items.filter((i) => !done.has(itemId(i)));
    changed = true;
  }
  if (entry.items.length === 0) {
    // Nothing owed: remember it was handled (late duplicates stop at the marker), then drop the entry.
    const at = now.toISOString();
    await writeHandled(oss, { workflow: ref, at, reason: 'nothing owed any more', ...(opts.gone ? { goneAt: at } : {}) });
    await deleteEntry(oss, ref.uid);
  } else if (changed) {
    entry.updatedAt = now.toISOString();
    await writeEntry(oss, entry);
  }

  if (!opts.gone && settings.markDeleted && run.workflows && done.size > 0) {
    const reclaimed = attemptedItems.filter((i) => done.has(itemId(i))).map((i) => ({ node: i.node, artifact: i.artifact }));
    try {
      const r = await markArtifactsDeleted(run.workflows, ref, reclaimed);
      if (r === 'patched') await run.audit.record({ action: 'mark-deleted', result: 'ok', workflow: ref, objects: reclaimed.length });
      else if (r === 'forbidden' || r === 'conflict') await run.audit.record({ action: 'mark-deleted', result: 'warning', workflow: ref, reason: r === 'forbidden' ? 'no RBAC to patch workflows (403)' : 'kept conflicting (409)' });
    } catch (err) {
      await run.audit.record({ action: 'mark-deleted', result: 'warning', workflow: ref, error: (err as Error).message });
    }
  }
}

/**
 * The workflow `ref` (namespace, name, uid) — as an event names it — may be gone; `current` is what the
 * cluster holds at ref.namespace/ref.name right now (undefined on 404). GC's record of the uid acts only
 * if the cluster confirms no workflow with that uid exists there (404, or the name now belongs to a new
 * uid) AND the record was written for that same namespace/name: an event naming one workflow with
 * another's uid is refused and audited. Then owed items become due (deletion), a "nothing owed" marker
 * starts its countdown, and without either there is nothing we know about it.
 */
export async function handleGoneWorkflow(run: GcRun, ref: WorkflowRef, current: Workflow | undefined): Promise<WorkflowOutcome> {
  if (!isUid(ref.uid)) return 'invalid';
  if (current && current.metadata.uid === ref.uid) {
    // Present with that uid: not gone, so no deletion-time action (a deletionTimestamp is handled by the caller).
    run.log({ level: 'info', msg: 'workflow still exists: no deletion-time action', workflow: ref });
    return 'duplicate';
  }
  const entry = await readEntry(run.oss, ref.uid);
  if (entry) {
    if (!isSameWorkflow(entry.workflow, ref)) return refuseOtherIdentity(run, ref, entry.workflow, 'the ledger entry');
    await runEntry(run, entry, { gone: true });
    return 'handled';
  }
  const marker = await readHandled(run.oss, ref.uid);
  if (marker) {
    if (!isSameWorkflow(marker.workflow, ref)) return refuseOtherIdentity(run, ref, marker.workflow, 'the handled marker');
    await noteGone(run, marker);
    return 'duplicate';
  }
  run.log({ level: 'info', msg: 'workflow is gone and GC has no record of it: nothing to do', workflow: ref });
  return 'duplicate';
}

/** Stamps a handled marker with the time its workflow was first seen gone (idempotent). */
export async function noteGone(run: GcRun, marker: HandledMarker): Promise<void> {
  if (marker.goneAt || run.settings.dryRun) return;
  await writeHandled(run.oss, { ...marker, goneAt: run.now().toISOString() });
}
