// Upload manifests: the coordinator's only state, one JSON object per upload in OSS.
//
//   .argo-oss/uploads/<uploadId>.json      the manifest (UploadManifest below)
//   .argo-oss/upload-index/<sha256>.json   { uploadId, key }: the in-progress upload of one start
//                                          identity (owner, key, size, fingerprint, part size, writers,
//                                          content type, tags, meta), written with x-oss-forbid-overwrite
//                                          so concurrent starts (N writer pods) converge on one upload
//   .argo-oss/upload-owners/<ns>/<uid>/…   one marker per open upload of a workflow (quota.ts)
//
// For the stale-upload GC reconcile: list `.argo-oss/uploads/`, read each manifest and
//   - state 'uploading' and updatedAt older than the threshold (no sign/complete since; a part's own
//     LastModified from ListParts is a finer progress signal) → AbortMultipartUpload(key, uploadId),
//     then delete the manifest and the index entry (indexKey) if it still names this uploadId;
//   - OSS says NoSuchUpload for an 'uploading' manifest → the upload was completed (see `completing`)
//     or aborted elsewhere: delete the manifest (and index entry) once it is older than the threshold;
//   - state 'completed' / 'failed' → kept for idempotent retries of complete; delete after a retention.
// `owner` says who started it: the upload is bound to it (a Workflow by namespace and uid, an admin by
// username); `key` is the only object the upload can produce.
import { createHash } from 'node:crypto';
import { deleteObject, getJson, isOssError, putJson, type OssClient } from '../oss';
import { RESERVED_PREFIX } from '../tenancy';
import type { UploadPlan } from './protocol';

export const MANIFEST_PREFIX = `${RESERVED_PREFIX}uploads/`;
export const INDEX_PREFIX = `${RESERVED_PREFIX}upload-index/`;

export type UploadState = 'uploading' | 'completed' | 'failed';

export interface UploadOwner {
  /** Kubernetes username of the caller that started the upload. */
  username: string;
  admin: boolean;
  workflow?: string;
  /** The owner Workflow's uid: uploads are bound to it (another workflow, even of the same name, gets 404). */
  workflowUid?: string;
  namespace?: string;
  pod?: string;
  podUid?: string;
}

/** The plan as the API returns it (uploadId, key, size, part size and count, writers, fingerprint, createdAt), plus state. */
export interface UploadManifest extends UploadPlan {
  version: 1;
  contentType?: string;
  tags?: Record<string, string>;
  meta?: Record<string, string>;
  owner: UploadOwner;
  /** Key of the index entry that points here (deleted when the upload ends). */
  indexKey: string;
  state: UploadState;
  /** Last progress: bumped by sign (at most once a minute) and by complete. */
  updatedAt: string;
  /**
   * Written just before CompleteMultipartUpload: what the object must be if Complete went through, so
   * a retried complete that finds NoSuchUpload can verify the object (HeadObject size + CRC-64).
   */
  completing?: { size: number; crc64: string; partCount: number; at: string };
  /** The verified result (state 'completed'). */
  result?: { size: number; crc64: string; etag: string; partCount: number; completedAt: string };
  /** Why the upload failed (state 'failed'), e.g. a CRC-64 mismatch after Complete. */
  failure?: { code: string; message: string; details?: unknown; at: string };
}

// OSS upload ids are hex; anything else in a URL is not ours (and must not shape a manifest key).
const UPLOAD_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function isValidUploadId(id: string): boolean {
  return UPLOAD_ID.test(id) && id !== '.' && id !== '..';
}

export function manifestKey(uploadId: string): string {
  return `${MANIFEST_PREFIX}${uploadId}.json`;
}

export interface StartIdentity {
  /** Who starts it (a workflow's namespace and uid, or an admin): one owner never resumes another's upload. */
  owner: string;
  key: string;
  size: number | null;
  fingerprint?: string;
  partSize?: number;
  writers: number;
  contentType?: string;
  tags?: Record<string, string>;
  meta?: Record<string, string>;
}

const sorted = (o: Record<string, string> | undefined) => (o ? Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1))) : null);

/** Index key of a start identity: starts that agree on all of it share (resume) one upload. */
export function indexKeyFor(id: StartIdentity): string {
  const canonical = JSON.stringify([
    id.owner,
    id.key,
    id.size,
    id.fingerprint ?? null,
    id.partSize ?? null,
    id.writers,
    id.contentType ?? null,
    sorted(id.tags),
    sorted(id.meta),
  ]);
  return `${INDEX_PREFIX}${createHash('sha256').update(canonical).digest('hex')}.json`;
}

export interface IndexEntry {
  uploadId: string;
  key: string;
}

function validateManifest(v: unknown): UploadManifest {
  const m = v as UploadManifest;
  if (typeof m !== 'object' || m === null || m.version !== 1 || typeof m.uploadId !== 'string' || typeof m.key !== 'string' || typeof m.partSize !== 'number') {
    throw new Error('not an upload manifest (version 1)');
  }
  return m;
}

function validateIndex(v: unknown): IndexEntry {
  const e = v as IndexEntry;
  if (typeof e !== 'object' || e === null || typeof e.uploadId !== 'string' || typeof e.key !== 'string') throw new Error('not an upload index entry');
  return e;
}

/** The manifest, or undefined when there is none. */
export async function readManifest(oss: OssClient, uploadId: string): Promise<UploadManifest | undefined> {
  try {
    return (await getJson(oss, manifestKey(uploadId), { validate: validateManifest, maxBytes: 4 * 1024 * 1024 })).value;
  } catch (err) {
    if (isOssError(err, 'NotFound')) return undefined;
    throw err;
  }
}

export async function writeManifest(oss: OssClient, manifest: UploadManifest): Promise<void> {
  await putJson(oss, manifestKey(manifest.uploadId), manifest);
}

export async function deleteManifest(oss: OssClient, uploadId: string): Promise<void> {
  await deleteObject(oss, manifestKey(uploadId));
}

export async function readIndex(oss: OssClient, indexKey: string): Promise<IndexEntry | undefined> {
  try {
    return (await getJson(oss, indexKey, { validate: validateIndex })).value;
  } catch (err) {
    if (isOssError(err, 'NotFound')) return undefined;
    throw err;
  }
}

/** Writes the index entry unless one exists; false when another start got there first. */
export async function claimIndex(oss: OssClient, indexKey: string, entry: IndexEntry): Promise<boolean> {
  try {
    await putJson(oss, indexKey, entry, { forbidOverwrite: true });
    return true;
  } catch (err) {
    if (isOssError(err, 'PreconditionFailed')) return false;
    throw err;
  }
}

/** Removes the index entry if it still names `uploadId` (a newer start may have replaced it). */
export async function releaseIndex(oss: OssClient, indexKey: string, uploadId: string): Promise<void> {
  const entry = await readIndex(oss, indexKey);
  if (entry?.uploadId === uploadId) await deleteObject(oss, indexKey);
}
