// The coordinator's operations over the OSS layer: start (or resume), sign, state, complete, abort.
// Platform-free: callers are already authenticated (auth.ts) and requests already parsed
// (requests.ts); routes.ts binds this to HTTP and chooses the status codes.
//
// Every upload is bound to its owner (a Workflow by namespace and uid, or an admin by username): the
// resume index is per owner, and another owner's upload id answers exactly like a missing one. The
// object records its owner in OSS user metadata from InitiateMultipartUpload on (shared/tenancy).
import { foldCrc64 } from '../crc64';
import { invalidArgument } from '../http/errors';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  deleteObject,
  headObject,
  initiateMultipartUpload,
  isOssError,
  listAllParts,
  listPartsPage,
  type OssClient,
  type PartInfo,
} from '../oss';
import { ownerMetadata } from '../tenancy';
import { authorizeKey, callerWorkflow, ownerOf, type Caller } from './auth';
import {
  checksumMismatch,
  invalidPart,
  missingParts,
  noSuchUpload,
  objectChanged,
  partSizeMismatch,
  sizeMismatch,
  startConflict,
  summarize,
  uploadCompleted,
  uploadFailed,
} from './errors';
import {
  claimIndex,
  deleteManifest,
  indexKeyFor,
  isValidUploadId,
  readIndex,
  readManifest,
  releaseIndex,
  writeManifest,
  type UploadManifest,
  type UploadOwner,
} from './manifest';
import { PartUrlSigner } from './part-urls';
import { MAX_PARTS, partSizeOf, planUpload } from './plan';
import type { CompleteUploadResponse, SignedPart, SignPartsResponse, StartUploadResponse, UploadedPart, UploadPlan, UploadStateResponse } from './protocol';
import { chargeOf, releaseUploadMarker, UploadQuota, type UploadLimits } from './quota';
import type { CompleteRequest, SignRequest, StartRequest } from './requests';

export { MAX_SIGN_PARTS } from './requests';
/** sign bumps the manifest's updatedAt at most this often (each bump is a PUT). */
const PROGRESS_INTERVAL_MS = 60_000;

export interface CoordinatorSettings extends UploadLimits {
  partUrlTtlSeconds: number;
}

const normEtag = (e: string) => e.replace(/^W\//, '').replace(/"/g, '').toUpperCase();

function planOf(m: UploadManifest): UploadPlan {
  return {
    uploadId: m.uploadId,
    key: m.key,
    size: m.size,
    partSize: m.partSize,
    partCount: m.partCount,
    writers: m.writers,
    ...(m.fingerprint !== undefined ? { fingerprint: m.fingerprint } : {}),
    createdAt: m.createdAt,
  };
}

/** Who an upload belongs to, as the resume index spells it: a Workflow (namespace + uid) or an admin user. */
function ownerKey(owner: UploadOwner): string | undefined {
  if (owner.admin) return `admin:${owner.username}`;
  return owner.namespace && owner.workflowUid ? `workflow:${owner.namespace}/${owner.workflowUid}` : undefined;
}

/** The caller may act on the upload: it is its owner (manifests without a provable owner belong to no one). */
function ownedBy(m: UploadManifest, caller: Caller): boolean {
  const mine = ownerKey(m.owner);
  return mine !== undefined && mine === ownerKey(ownerOf(caller));
}

/** How an upload ended: its verified result, or the failure every later call is answered with. */
type Outcome =
  | { state: 'completed'; result: Omit<NonNullable<UploadManifest['result']>, 'completedAt'> }
  | { state: 'failed'; failure: Omit<NonNullable<UploadManifest['failure']>, 'at'> };

export class UploadCoordinator {
  private readonly signer: PartUrlSigner;
  private readonly quota: UploadQuota;

  constructor(
    private readonly oss: OssClient,
    private readonly settings: CoordinatorSettings,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.signer = new PartUrlSigner(oss);
    this.quota = new UploadQuota(oss, settings);
  }

  /**
   * The upload's manifest; 404 unless it exists, is of `key` and belongs to the caller — the same
   * answer in every case (never act on another key, never tell another owner's upload from none).
   */
  private async load(caller: Caller, uploadId: string, key: string): Promise<UploadManifest> {
    authorizeKey(caller, key);
    if (!isValidUploadId(uploadId)) throw noSuchUpload(uploadId, key);
    const m = await readManifest(this.oss, uploadId);
    if (!m || m.key !== key || m.uploadId !== uploadId || !ownedBy(m, caller)) throw noSuchUpload(uploadId, key);
    return m;
  }

  private async stillInOss(m: UploadManifest): Promise<boolean> {
    try {
      await listPartsPage(this.oss, { key: m.key, uploadId: m.uploadId }, { maxParts: 1 });
      return true;
    } catch (err) {
      if (isOssError(err, 'NoSuchUpload')) return false;
      throw err;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // POST /uploads

  /** A new upload (resumed: false) or the caller's in-progress one of the same identity (resumed: true). */
  async start(caller: Caller, req: StartRequest): Promise<StartUploadResponse> {
    authorizeKey(caller, req.key);
    const { key, fingerprint, contentType, tags, meta } = req;
    const plan = planUpload({ size: req.size, ...(req.partSize !== undefined ? { partSize: req.partSize } : {}), writers: req.writers });
    const owner = ownerOf(caller);
    const indexKey = indexKeyFor({ key, size: req.size, fingerprint, partSize: req.partSize, writers: req.writers, contentType, tags, meta, owner: ownerKey(owner)! });
    const workflow = caller.kind === 'workflow' ? callerWorkflow(caller) : undefined;
    const charge = chargeOf(plan);

    for (let attempt = 0; attempt < 3; attempt++) {
      const resumed = await this.resumable(caller, indexKey, key);
      if (resumed) return { ...planOf(resumed), resumed: true };
      if (workflow) await this.quota.check(workflow, charge);

      // The owner is recorded on the object from the start; callers can never set these names (requests.ts).
      const objectMeta = { ...meta, ...(workflow ? ownerMetadata(workflow) : {}) };
      const ref = await initiateMultipartUpload(this.oss, key, {
        ...(contentType ? { contentType } : {}),
        ...(Object.keys(objectMeta).length ? { meta: objectMeta } : {}),
        ...(tags && Object.keys(tags).length ? { tags } : {}),
      });
      const at = this.now().toISOString();
      const manifest: UploadManifest = {
        version: 1,
        uploadId: ref.uploadId,
        key,
        size: plan.size,
        partSize: plan.partSize,
        partCount: plan.partCount,
        writers: plan.writers,
        ...(fingerprint !== undefined ? { fingerprint } : {}),
        ...(contentType !== undefined ? { contentType } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...(meta !== undefined ? { meta } : {}),
        owner,
        indexKey,
        state: 'uploading',
        createdAt: at,
        updatedAt: at,
      };
      // Quota marker and manifest first, index second: whoever finds the index entry also finds the manifest.
      try {
        if (workflow) await this.quota.record(workflow, ref.uploadId, charge);
        await writeManifest(this.oss, manifest);
        if (await claimIndex(this.oss, indexKey, { uploadId: ref.uploadId, key })) return { ...planOf(manifest), resumed: false };
      } catch (err) {
        await this.discard(manifest);
        throw err;
      }
      // A concurrent start of the same identity (another writer pod) won: use its upload.
      await this.discard(manifest);
    }
    throw startConflict();
  }

  /** The caller's in-progress upload recorded for this start identity, if it is still alive in OSS. */
  private async resumable(caller: Caller, indexKey: string, key: string): Promise<UploadManifest | undefined> {
    const entry = await readIndex(this.oss, indexKey);
    if (!entry) return undefined;
    const m = entry.key === key && isValidUploadId(entry.uploadId) ? await readManifest(this.oss, entry.uploadId) : undefined;
    if (m && m.key === key && ownedBy(m, caller) && m.state === 'uploading' && (await this.stillInOss(m))) {
      await this.touch(m, 0);
      return m;
    }
    // Stale entry: the upload ended (or was aborted by a lifecycle rule) without cleaning up.
    await releaseIndex(this.oss, indexKey, entry.uploadId);
    if (m && m.state === 'uploading' && ownedBy(m, caller)) {
      await deleteManifest(this.oss, m.uploadId);
      await this.releaseQuota(m);
    }
    return undefined;
  }

  /** Undoes a start that did not become the upload: the multipart upload, its manifest, its quota marker. */
  private async discard(m: UploadManifest): Promise<void> {
    await Promise.allSettled([abortMultipartUpload(this.oss, { key: m.key, uploadId: m.uploadId }), deleteManifest(this.oss, m.uploadId), this.releaseQuota(m)]);
  }

  private releaseQuota(m: UploadManifest): Promise<void> {
    return releaseUploadMarker(this.oss, m);
  }

  /** Records progress (updatedAt) unless it was recorded less than `minIntervalMs` ago. */
  private async touch(m: UploadManifest, minIntervalMs = PROGRESS_INTERVAL_MS): Promise<void> {
    const now = this.now();
    if (now.getTime() - Date.parse(m.updatedAt) < minIntervalMs) return;
    m.updatedAt = now.toISOString();
    await writeManifest(this.oss, m);
  }

  /**
   * The one way an upload reaches a terminal state: the manifest records the outcome; the index entry
   * and the quota marker go (best effort: the stale-upload GC and quota pruning clean up leftovers).
   */
  private async settle(m: UploadManifest, outcome: Outcome): Promise<void> {
    const at = this.now().toISOString();
    m.state = outcome.state;
    if (outcome.state === 'completed') m.result = { ...outcome.result, completedAt: at };
    else m.failure = { ...outcome.failure, at };
    m.updatedAt = at;
    await writeManifest(this.oss, m);
    await Promise.allSettled([releaseIndex(this.oss, m.indexKey, m.uploadId), this.releaseQuota(m)]);
  }

  private requireUploading(m: UploadManifest): void {
    if (m.state === 'completed') throw uploadCompleted(m.uploadId);
    if (m.state === 'failed') throw uploadFailed(m.uploadId, m.failure);
  }

  // ---------------------------------------------------------------------------------------------
  // POST /uploads/{uploadId}/sign

  async sign(caller: Caller, uploadId: string, req: SignRequest): Promise<SignPartsResponse> {
    const { key } = req;
    const m = await this.load(caller, uploadId, key);
    this.requireUploading(m);
    const last = m.partCount ?? MAX_PARTS;
    for (const w of req.parts) {
      if (w.partNumber > last) throw invalidArgument(`parts[${w.index}].partNumber`, `part ${w.partNumber} is outside the plan (1..${last})`);
    }
    const signed = await this.signer.sign(
      key,
      uploadId,
      req.parts.map((w) => ({
        partNumber: w.partNumber,
        ...(w.md5 ? { contentMd5: w.md5 } : {}),
        // A known-size plan fixes every part's length: bind it, so the URL cannot carry other bytes.
        ...(m.size !== null ? { contentLength: partSizeOf(w.partNumber, m.partSize, m.size) } : {}),
      })),
      this.settings.partUrlTtlSeconds,
    );
    const parts: SignedPart[] = signed.map((r) => ({ partNumber: r.partNumber, method: 'PUT' as const, url: r.url, headers: r.headers, expiresAt: r.expiresAt.toISOString() }));
    await this.touch(m);
    return { uploadId, parts };
  }

  // ---------------------------------------------------------------------------------------------
  // GET /uploads/{uploadId}?key=

  async state(caller: Caller, uploadId: string, key: string): Promise<UploadStateResponse> {
    const m = await this.load(caller, uploadId, key);
    let parts: UploadedPart[] = [];
    if (m.state === 'uploading') {
      try {
        parts = (await listAllParts(this.oss, { key, uploadId })).map((p) => ({
          partNumber: p.partNumber,
          size: p.size,
          etag: p.etag,
          ...(p.crc64 !== undefined ? { crc64: p.crc64.toString() } : {}),
          lastModified: (p.lastModified ?? new Date(0)).toISOString(),
        }));
      } catch (err) {
        if (isOssError(err, 'NoSuchUpload')) throw noSuchUpload(uploadId, key);
        throw err;
      }
    }
    return { ...planOf(m), state: m.state, parts };
  }

  // ---------------------------------------------------------------------------------------------
  // POST /uploads/{uploadId}/complete

  async complete(caller: Caller, uploadId: string, req: CompleteRequest): Promise<CompleteUploadResponse> {
    const { key, crc64: clientCrc } = req;
    const m = await this.load(caller, uploadId, key);
    if (m.state === 'completed') return this.alreadyCompleted(m, req);
    this.requireUploading(m);

    let listed: PartInfo[];
    try {
      listed = await listAllParts(this.oss, { key, uploadId });
    } catch (err) {
      if (isOssError(err, 'NoSuchUpload')) return this.recoverCompleted(m, req);
      throw err;
    }
    const parts = this.selectParts(m, listed, req.parts);
    const size = parts.reduce((n, p) => n + p.size, 0);
    if (m.size !== null && size !== m.size) throw sizeMismatch(m.size, size);
    const folded = foldCrc64(parts);
    if (clientCrc !== undefined && folded !== undefined && clientCrc !== folded) {
      // Caught before Complete: the upload stays open, so the client can re-check and re-send parts.
      throw checksumMismatch(`the parts' combined CRC-64 ${folded} differs from the client's ${clientCrc}; the upload was not completed`, {
        clientCrc64: clientCrc.toString(),
        partsCrc64: folded.toString(),
        completed: false,
      });
    }

    m.completing = { size, crc64: (folded ?? clientCrc ?? '').toString(), partCount: parts.length, at: this.now().toISOString() };
    m.updatedAt = m.completing.at;
    await writeManifest(this.oss, m);
    let done;
    try {
      done = await completeMultipartUpload(this.oss, { key, uploadId }, parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag })));
    } catch (err) {
      // A concurrent complete (a retry racing the first attempt) may have finished it.
      if (isOssError(err, 'NoSuchUpload')) return this.recoverCompleted(m, req);
      if (isOssError(err, 'InvalidPart')) throw invalidPart(`OSS refused the part list: ${err.message}`, undefined, err);
      throw err;
    }
    const ossCrc = done.crc64 ?? (await headObject(this.oss, key)).crc64;
    const expected = folded ?? clientCrc;
    const bad =
      (ossCrc !== undefined && expected !== undefined && ossCrc !== expected) || (ossCrc !== undefined && clientCrc !== undefined && ossCrc !== clientCrc);
    if (bad) return this.rejectObject(m, done.etag, { ossCrc64: ossCrc, partsCrc64: folded, clientCrc64: clientCrc });

    const crc = (ossCrc ?? expected)?.toString() ?? '';
    await this.settle(m, { state: 'completed', result: { size, crc64: crc, etag: done.etag, partCount: parts.length } });
    return { key, size, etag: done.etag, crc64: crc, partCount: parts.length, alreadyCompleted: false };
  }

  /** The parts to assemble: the client's list (checked against OSS) or OSS's; every planned part present, each of its planned size. */
  private selectParts(m: UploadManifest, listed: PartInfo[], requested?: Array<{ partNumber: number; etag: string }>): PartInfo[] {
    const byNumber = new Map(listed.map((p) => [p.partNumber, p]));
    let parts: PartInfo[];
    if (requested) {
      const unknown: number[] = [];
      parts = [];
      for (const r of requested) {
        const p = byNumber.get(r.partNumber);
        if (!p || normEtag(p.etag) !== normEtag(r.etag)) unknown.push(r.partNumber);
        else parts.push(p);
      }
      if (unknown.length > 0) throw invalidPart(`${unknown.length} part(s) are not in OSS with the given ETag: ${summarize(unknown)}`, { parts: unknown.slice(0, 1000) });
      parts.sort((a, b) => a.partNumber - b.partNumber);
    } else {
      parts = m.partCount !== null ? listed.filter((p) => p.partNumber <= m.partCount!) : listed;
    }
    // Known size: exactly parts 1..partCount. Stream: 1..n with no gap (a gap would be lost bytes).
    const last = m.partCount ?? (parts.length ? parts[parts.length - 1].partNumber : 0);
    const have = new Set(parts.map((p) => p.partNumber));
    const missing: number[] = [];
    for (let n = 1; n <= Math.max(last, 1); n++) if (!have.has(n)) missing.push(n);
    if (m.partCount !== null && parts.some((p) => p.partNumber > m.partCount!)) {
      throw invalidPart(`parts beyond the plan's ${m.partCount}`, { parts: parts.filter((p) => p.partNumber > m.partCount!).map((p) => p.partNumber) });
    }
    if (missing.length > 0) throw missingParts(missing);
    if (m.size !== null) {
      const wrong = parts
        .filter((p) => p.size !== partSizeOf(p.partNumber, m.partSize, m.size!))
        .map((p) => ({ partNumber: p.partNumber, expected: partSizeOf(p.partNumber, m.partSize, m.size!), actual: p.size }));
      if (wrong.length > 0) throw partSizeMismatch(wrong);
    }
    return parts;
  }

  /**
   * OSS's combined CRC-64 disagrees with the parts' (or the client's): the object at `key` is not the
   * bytes that were uploaded. Delete it — consumers read the key without looking at tags, so leaving
   * it would serve corrupt data as an artifact — but only if it is still the object this Complete made
   * (same ETag), and record the failure in the manifest.
   */
  private async rejectObject(m: UploadManifest, etag: string, crcs: { ossCrc64?: bigint; partsCrc64?: bigint; clientCrc64?: bigint }): Promise<never> {
    let deleted = false;
    try {
      const head = await headObject(this.oss, m.key);
      if (normEtag(head.etag) === normEtag(etag)) {
        await deleteObject(this.oss, m.key);
        deleted = true;
      }
    } catch (err) {
      if (!isOssError(err, 'NotFound')) throw err;
    }
    const details = {
      ossCrc64: crcs.ossCrc64?.toString(),
      partsCrc64: crcs.partsCrc64?.toString(),
      clientCrc64: crcs.clientCrc64?.toString(),
      completed: true,
      objectDeleted: deleted,
    };
    const message = `the completed object's CRC-64 ${details.ossCrc64} does not match the uploaded data (parts ${details.partsCrc64 ?? '-'}, client ${details.clientCrc64 ?? '-'}); the object was ${deleted ? 'deleted' : 'not found or already replaced'}`;
    await this.settle(m, { state: 'failed', failure: { code: 'ChecksumMismatch', message, details } });
    throw checksumMismatch(message, details);
  }

  /**
   * The client's claim about the bytes, checked against what the upload completed with: a retried
   * complete of the same bytes is answered 200 again, a complete naming other bytes never is.
   */
  private checkClaim(m: UploadManifest, req: CompleteRequest, verified: { crc64: string; partCount: number }): void {
    if (req.crc64 !== undefined && req.crc64.toString() !== verified.crc64) {
      throw checksumMismatch(`upload ${m.uploadId} completed ${m.key} with CRC-64 ${verified.crc64}, not the client's ${req.crc64}`, {
        clientCrc64: req.crc64.toString(),
        objectCrc64: verified.crc64,
        completed: true,
      });
    }
    if (req.parts !== undefined && req.parts.length !== verified.partCount) {
      throw invalidPart(`upload ${m.uploadId} completed ${m.key} from ${verified.partCount} parts, not the ${req.parts.length} listed`, { partCount: verified.partCount });
    }
  }

  /** A completed upload asked again: answer only after checking the claim and that the object is still what we verified. */
  private async alreadyCompleted(m: UploadManifest, req: CompleteRequest): Promise<CompleteUploadResponse> {
    const r = m.result!;
    this.checkClaim(m, req, r);
    const head = await this.headOrGone(m);
    if (head.size !== r.size || (head.crc64 !== undefined && head.crc64.toString() !== r.crc64)) {
      throw objectChanged(`${m.key} no longer holds the object this upload completed`, {
        expected: { size: r.size, crc64: r.crc64 },
        actual: { size: head.size, crc64: head.crc64?.toString() },
      });
    }
    return { key: m.key, size: r.size, etag: r.etag, crc64: r.crc64, partCount: r.partCount, alreadyCompleted: true };
  }

  /** OSS no longer knows the upload: if a Complete of ours went through, the object proves it. */
  private async recoverCompleted(m: UploadManifest, req: CompleteRequest): Promise<CompleteUploadResponse> {
    const c = m.completing;
    if (!c) throw noSuchUpload(m.uploadId, m.key);
    this.checkClaim(m, req, c);
    const head = await this.headOrGone(m);
    if (head.size !== c.size || head.crc64 === undefined || head.crc64.toString() !== c.crc64) {
      throw objectChanged(`upload ${m.uploadId} is gone and ${m.key} is not the object it would have made`, {
        expected: { size: c.size, crc64: c.crc64 },
        actual: { size: head.size, crc64: head.crc64?.toString() },
      });
    }
    await this.settle(m, { state: 'completed', result: { size: c.size, crc64: c.crc64, etag: head.etag, partCount: c.partCount } });
    return { key: m.key, size: c.size, etag: head.etag, crc64: c.crc64, partCount: c.partCount, alreadyCompleted: true };
  }

  private async headOrGone(m: UploadManifest) {
    try {
      return await headObject(this.oss, m.key);
    } catch (err) {
      if (isOssError(err, 'NotFound')) throw objectChanged(`${m.key} no longer exists`);
      throw err;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // DELETE /uploads/{uploadId}?key=

  async abort(caller: Caller, uploadId: string, key: string): Promise<void> {
    const m = await this.load(caller, uploadId, key);
    if (m.state === 'completed') throw uploadCompleted(uploadId, '; delete the object instead');
    if (m.state === 'uploading') {
      try {
        await abortMultipartUpload(this.oss, { key, uploadId });
      } catch (err) {
        if (!isOssError(err, 'NoSuchUpload')) throw err;
      }
      await this.releaseQuota(m);
    }
    await releaseIndex(this.oss, m.indexKey, uploadId);
    await deleteManifest(this.oss, uploadId);
  }
}
