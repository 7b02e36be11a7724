// GC state in OSS, keyed by workflow uid, so artifacts can be reclaimed after the Workflow is gone
// (no finalizer) and failures are retried by the next reconcile.
//
//   .argo-oss/gc/ledger/<uid>.json          what is still owed: delayed items, OnWorkflowDeletion items,
//                                           failed deletions with their backoff. Written before anything
//                                           is deleted (write-ahead); deleted when empty.
//   .argo-oss/gc/handled/<uid>.json         the workflow's completion was handled and nothing is owed:
//                                           duplicate and late events stop here, and the reconcile does
//                                           not re-plan it. Removed 7 days after the workflow is gone.
//   .argo-oss/gc/refused/<uid>.<hash>.json  the workflow could not be planned (bad annotations, offloaded
//                                           nodes); <hash> fingerprints its annotations, so fixing them
//                                           makes the reconcile plan it again.
//
// Concurrency: OSS has no conditional PUT on an ETag, only x-oss-forbid-overwrite. Claiming a
// workflow's completion (first ledger entry or handled marker) uses forbid-overwrite, so of two
// duplicate events exactly one plans and deletes. Later rewrites of an entry (by overlapping
// reconciles, or a reconcile and a deletion event) are last-writer-wins; every change after the
// claim only removes items or moves their times, and deleting an object twice is harmless, so a lost
// update at worst repeats a delete in the next reconcile — it never loses an owed item.
import { createHash } from 'node:crypto';
import { backoffCeiling } from '../backoff';
import { deleteObject, getJson, isOssError, iterateObjectPages, putJson, type OssClient } from '../oss';
import { isUid, RESERVED_PREFIX } from '../tenancy';
import type { DeleteTarget, EffectiveStrategy, GcWhen, WorkflowRef } from './types';

export const GC_PREFIX = `${RESERVED_PREFIX}gc/`;
export const LEDGER_PREFIX = `${GC_PREFIX}ledger/`;
export const HANDLED_PREFIX = `${GC_PREFIX}handled/`;
export const REFUSED_PREFIX = `${GC_PREFIX}refused/`;

export interface LedgerItem {
  node: string;
  artifact: string;
  /** The artifact's key as the workflow names it. */
  key: string;
  target: DeleteTarget;
  strategy: Exclude<EffectiveStrategy, 'Never'>;
  /** Due at this time (ISO); absent while owed on deletion. */
  dueAt?: string;
  /** Owed once the workflow is deleted (gets a dueAt then). */
  onDeletion?: boolean;
  attempts: number;
  lastError?: string;
  /** After a failure: not retried before this time (ISO). */
  nextAttemptAt?: string;
}

export interface LedgerEntry {
  version: 1;
  workflow: WorkflowRef;
  phase: string;
  completedAt?: string;
  /** When the deletion was seen (ISO). */
  deletedAt?: string;
  when: GcWhen;
  delaySeconds: number;
  items: LedgerItem[];
  createdAt: string;
  updatedAt: string;
}

export interface HandledMarker {
  workflow: WorkflowRef;
  at: string;
  reason?: string;
  /** When the workflow was seen gone; the marker is kept GONE_RETENTION_MS longer for late events. */
  goneAt?: string;
}

/**
 * How long "handled" is remembered after the workflow is gone, so late duplicate events (EventBridge
 * and FC async retries deliver for up to days) do not plan and delete a second time.
 */
export const GONE_RETENTION_MS = 7 * 86400_000;


function checkUid(uid: string): string {
  if (!isUid(uid)) throw new Error(`invalid workflow uid ${JSON.stringify(uid)}`);
  return uid;
}

export const ledgerKey = (uid: string) => `${LEDGER_PREFIX}${checkUid(uid)}.json`;
export const handledKey = (uid: string) => `${HANDLED_PREFIX}${checkUid(uid)}.json`;
export const refusedKey = (uid: string, fingerprint: string) => `${REFUSED_PREFIX}${checkUid(uid)}.${fingerprint}.json`;

/** Fingerprint of what can make a refused workflow plannable: its annotations. */
export function annotationFingerprint(annotations: Record<string, string> | undefined): string {
  const sorted = Object.entries(annotations ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

function validateEntry(v: unknown): LedgerEntry {
  const e = v as LedgerEntry;
  if (typeof e !== 'object' || e === null || e.version !== 1 || !Array.isArray(e.items) || typeof e.workflow?.uid !== 'string') {
    throw new Error('not a GC ledger entry (version 1)');
  }
  return e;
}

async function readOptional<T>(oss: OssClient, key: string, validate?: (v: unknown) => T): Promise<T | undefined> {
  try {
    return (await getJson<T>(oss, key, { ...(validate ? { validate } : {}), maxBytes: 8 * 1024 * 1024 })).value;
  } catch (err) {
    if (isOssError(err, 'NotFound')) return undefined;
    throw err;
  }
}

async function putOnce(oss: OssClient, key: string, value: unknown): Promise<boolean> {
  try {
    await putJson(oss, key, value, { forbidOverwrite: true, maxBytes: 8 * 1024 * 1024 });
    return true;
  } catch (err) {
    if (isOssError(err, 'PreconditionFailed')) return false;
    throw err;
  }
}

export function readEntry(oss: OssClient, uid: string): Promise<LedgerEntry | undefined> {
  return readOptional(oss, ledgerKey(uid), validateEntry);
}

/** Writes the first entry for a workflow; false when one exists (another event claimed it). */
export function createEntry(oss: OssClient, entry: LedgerEntry): Promise<boolean> {
  return putOnce(oss, ledgerKey(entry.workflow.uid), entry);
}

export async function writeEntry(oss: OssClient, entry: LedgerEntry): Promise<void> {
  await putJson(oss, ledgerKey(entry.workflow.uid), entry, { maxBytes: 8 * 1024 * 1024 });
}

export async function deleteEntry(oss: OssClient, uid: string): Promise<void> {
  await deleteObject(oss, ledgerKey(uid));
}

export async function isHandled(oss: OssClient, uid: string): Promise<boolean> {
  return (await readOptional<HandledMarker>(oss, handledKey(uid))) !== undefined;
}

export function readHandled(oss: OssClient, uid: string): Promise<HandledMarker | undefined> {
  return readOptional<HandledMarker>(oss, handledKey(uid));
}

/** Claims "completion handled, nothing owed"; false when the marker exists already. */
export function claimHandled(oss: OssClient, marker: HandledMarker): Promise<boolean> {
  return putOnce(oss, handledKey(marker.workflow.uid), marker);
}

/** Records "nothing owed" after the last item of an entry is done (idempotent overwrite). */
export async function writeHandled(oss: OssClient, marker: HandledMarker): Promise<void> {
  await putJson(oss, handledKey(marker.workflow.uid), marker);
}

export async function forgetHandled(oss: OssClient, uid: string): Promise<void> {
  await deleteObject(oss, handledKey(uid));
}

export function claimRefused(oss: OssClient, marker: HandledMarker, fingerprint: string): Promise<boolean> {
  return putOnce(oss, refusedKey(marker.workflow.uid, fingerprint), marker);
}

export function readRefused(oss: OssClient, uid: string, fingerprint: string): Promise<HandledMarker | undefined> {
  return readOptional<HandledMarker>(oss, refusedKey(uid, fingerprint));
}

export async function forgetRefused(oss: OssClient, uid: string, fingerprint: string): Promise<void> {
  await deleteObject(oss, refusedKey(uid, fingerprint));
}

/** uid → fingerprints for every refused marker. */
export async function listRefused(oss: OssClient): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for await (const name of listNames(oss, REFUSED_PREFIX)) {
    const m = /^(.+)\.([0-9a-f]{16})\.json$/.exec(name);
    if (!m || !isUid(m[1])) continue;
    out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

/** The uids with a ledger entry. */
export async function listEntryUids(oss: OssClient): Promise<Set<string>> {
  return uidsUnder(oss, LEDGER_PREFIX);
}

/** The uids with a handled marker. */
export async function listHandledUids(oss: OssClient): Promise<Set<string>> {
  return uidsUnder(oss, HANDLED_PREFIX);
}

async function uidsUnder(oss: OssClient, prefix: string): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const name of listNames(oss, prefix)) {
    const uid = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
    if (isUid(uid)) out.add(uid);
  }
  return out;
}

async function* listNames(oss: OssClient, prefix: string): AsyncGenerator<string> {
  for await (const page of iterateObjectPages(oss, { prefix })) {
    for (const o of page.objects) {
      const name = o.key.slice(prefix.length);
      if (name !== '' && !name.includes('/')) yield name;
    }
  }
}

/** Retry delay after the n-th failed attempt: 1, 2, 4 … minutes, at most 6 hours. */
export function backoffMs(attempts: number): number {
  return backoffCeiling(attempts, 60_000, 6 * 3600_000);
}

/** Items whose time has come: due, and past their backoff. */
export function dueItems(entry: LedgerEntry, now: Date): LedgerItem[] {
  const t = now.getTime();
  return entry.items.filter((i) => i.dueAt !== undefined && Date.parse(i.dueAt) <= t && (i.nextAttemptAt === undefined || Date.parse(i.nextAttemptAt) <= t));
}

/** Records the deletion: items owed on deletion become due `delaySeconds` after it. Idempotent. */
export function markDeleted(entry: LedgerEntry, deletedAt: Date): boolean {
  if (entry.deletedAt) return false;
  entry.deletedAt = deletedAt.toISOString();
  const due = new Date(deletedAt.getTime() + entry.delaySeconds * 1000).toISOString();
  for (const item of entry.items) {
    if (item.onDeletion) {
      delete item.onDeletion;
      item.dueAt = due;
    }
  }
  return true;
}

/** Earliest time anything in the entry can run (for the summary); undefined while only deletion-owed. */
export function nextDue(entry: LedgerEntry): string | undefined {
  const times = entry.items.filter((i) => i.dueAt).map((i) => Math.max(Date.parse(i.dueAt!), i.nextAttemptAt ? Date.parse(i.nextAttemptAt) : 0));
  return times.length ? new Date(Math.min(...times)).toISOString() : undefined;
}
