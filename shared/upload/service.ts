// The coordinator's operations over the OSS layer: start (or resume), sign, state, complete, abort.
// Platform-free: callers are already authenticated (auth.ts); routes.ts binds this to HTTP.
import { foldCrc64 } from '../crc64';
import { HttpError, invalidArgument } from '../http/errors';
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
import { authorizeKey, ownerOf, type Caller } from './auth';
import { validateArtifactKey } from '../tenancy';
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
} from './manifest';
import { PartUrlSigner } from './part-urls';
import { MAX_PARTS, partSizeOf, planUpload } from './plan';
import type {
  CompleteUploadResponse,
  SignedPart,
  SignPartsResponse,
  StartUploadResponse,
  UploadedPart,
  UploadPlan,
  UploadStateResponse,
} from './protocol';
import {
  contentTypeField,
  crc64Field,
  metaField,
  objectArray,
  optionalInt,
  optionalString,
  partNumberAt,
  sizeField,
  tagsField,
} from './validate';

export const MAX_SIGN_PARTS = 1000;
/** sign bumps the manifest's updatedAt at most this often (each bump is a PUT). */
const PROGRESS_INTERVAL_MS = 60_000;

export interface CoordinatorSettings {
  artifactRoot: string;
  partUrlTtlSeconds: number;
}

export interface Result<T> {
  status: number;
  body: T;
}

const noSuchUpload = (uploadId: string, key: string) => new HttpError(404, 'NoSuchUpload', `no upload ${uploadId} of key ${key}`);

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

export class UploadCoordinator {
  private readonly signer: PartUrlSigner;

  constructor(
    private readonly oss: OssClient,
    private readonly settings: CoordinatorSettings,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.signer = new PartUrlSigner(oss);
  }

  private key(body: Record<string, unknown> | string | null, caller: Caller): string {
    const raw = typeof body === 'object' && body !== null ? body.key : body;
    const key = validateArtifactKey(raw ?? undefined, this.settings.artifactRoot);
    authorizeKey(caller, key);
    return key;
  }

  /** The upload's manifest; 404 unless it exists and belongs to `key` (never act on another key). */
  private async load(uploadId: string, key: string): Promise<UploadManifest> {
    if (!isValidUploadId(uploadId)) throw noSuchUpload(uploadId, key);
    const m = await readManifest(this.oss, uploadId);
    if (!m || m.key !== key || m.uploadId !== uploadId) throw noSuchUpload(uploadId, key);
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

  async start(caller: Caller, body: Record<string, unknown>): Promise<Result<StartUploadResponse>> {
    const key = this.key(body, caller);
    const size = sizeField(body);
    const partSize = optionalInt(body, 'partSize');
    const writers = optionalInt(body, 'writers') ?? 1;
    const plan = planUpload({ size, ...(partSize !== undefined ? { partSize } : {}), writers });
    const fingerprint = optionalString(body, 'fingerprint', 1024);
    const contentType = contentTypeField(body);
    const tags = tagsField(body);
    const meta = metaField(body);
    const indexKey = indexKeyFor({ key, size, fingerprint, partSize, writers, contentType, tags, meta });

    for (let attempt = 0; attempt < 3; attempt++) {
      const resumed = await this.resumable(indexKey, key);
      if (resumed) return { status: 200, body: { ...planOf(resumed), resumed: true } };

      const ref = await initiateMultipartUpload(this.oss, key, {
        ...(contentType ? { contentType } : {}),
        ...(meta && Object.keys(meta).length ? { meta } : {}),
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
        owner: ownerOf(caller),
        indexKey,
        state: 'uploading',
        createdAt: at,
        updatedAt: at,
      };
      // Manifest first, index second: whoever finds the index entry also finds the manifest.
      try {
        await writeManifest(this.oss, manifest);
        if (await claimIndex(this.oss, indexKey, { uploadId: ref.uploadId, key })) {
          return { status: 201, body: { ...planOf(manifest), resumed: false } };
        }
      } catch (err) {
        await this.discard(ref.uploadId, key);
        throw err;
      }
      // A concurrent start of the same identity (another writer pod) won: use its upload.
      await this.discard(ref.uploadId, key);
    }
    throw new HttpError(503, 'StartConflict', 'concurrent starts of this upload kept colliding; retry', { headers: { 'retry-after': '1' } });
  }

  /** The in-progress upload recorded for this start identity, if it is still alive in OSS. */
  private async resumable(indexKey: string, key: string): Promise<UploadManifest | undefined> {
    const entry = await readIndex(this.oss, indexKey);
    if (!entry) return undefined;
    const m = entry.key === key && isValidUploadId(entry.uploadId) ? await readManifest(this.oss, entry.uploadId) : undefined;
    if (m && m.key === key && m.state === 'uploading' && (await this.stillInOss(m))) {
      await this.touch(m, 0);
      return m;
    }
    // Stale entry: the upload ended (or was aborted by a lifecycle rule) without cleaning up.
    await releaseIndex(this.oss, indexKey, entry.uploadId);
    if (m && m.state === 'uploading') await deleteManifest(this.oss, m.uploadId);
    return undefined;
  }

  private async discard(uploadId: string, key: string): Promise<void> {
    await Promise.allSettled([abortMultipartUpload(this.oss, { key, uploadId }), deleteManifest(this.oss, uploadId)]);
  }

  /** Records progress (updatedAt) unless it was recorded less than `minIntervalMs` ago. */
  private async touch(m: UploadManifest, minIntervalMs = PROGRESS_INTERVAL_MS): Promise<void> {
    const now = this.now();
    if (now.getTime() - Date.parse(m.updatedAt) < minIntervalMs) return;
    m.updatedAt = now.toISOString();
    await writeManifest(this.oss, m);
  }

  private requireUploading(m: UploadManifest): void {
    if (m.state === 'completed') throw new HttpError(409, 'UploadCompleted', `upload ${m.uploadId} is already completed`);
    if (m.state === 'failed') throw new HttpError(409, m.failure?.code ?? 'UploadFailed', `upload ${m.uploadId} failed: ${m.failure?.message ?? 'unknown'}`, m.failure?.details !== undefined ? { details: m.failure.details } : {});
  }

  // ---------------------------------------------------------------------------------------------
  // POST /uploads/{uploadId}/sign

  async sign(caller: Caller, uploadId: string, body: Record<string, unknown>): Promise<Result<SignPartsResponse>> {
    const key = this.key(body, caller);
    const items = objectArray(body, 'parts', MAX_SIGN_PARTS);
    const seen = new Set<number>();
    const wanted = items.map((p, i) => {
      const partNumber = partNumberAt(p.partNumber, `parts[${i}].partNumber`);
      if (seen.has(partNumber)) throw invalidArgument(`parts[${i}].partNumber`, `part ${partNumber} is listed twice`);
      seen.add(partNumber);
      const md5 = p.md5;
      if (md5 !== undefined && (typeof md5 !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(md5))) {
        throw invalidArgument(`parts[${i}].md5`, 'must be the base64 of the 16-byte MD5 of the part');
      }
      return { partNumber, md5: md5 as string | undefined, index: i };
    });
    const m = await this.load(uploadId, key);
    this.requireUploading(m);
    const last = m.partCount ?? MAX_PARTS;
    for (const w of wanted) {
      if (w.partNumber > last) throw invalidArgument(`parts[${w.index}].partNumber`, `part ${w.partNumber} is outside the plan (1..${last})`);
    }
    const signed = await this.signer.sign(
      key,
      uploadId,
      wanted.map((w) => ({
        partNumber: w.partNumber,
        ...(w.md5 ? { contentMd5: w.md5 } : {}),
        // A known-size plan fixes every part's length: bind it, so the URL cannot carry other bytes.
        ...(m.size !== null ? { contentLength: partSizeOf(w.partNumber, m.partSize, m.size) } : {}),
      })),
      this.settings.partUrlTtlSeconds,
    );
    const parts: SignedPart[] = signed.map((r) => ({ partNumber: r.partNumber, method: 'PUT' as const, url: r.url, headers: r.headers, expiresAt: r.expiresAt.toISOString() }));
    await this.touch(m);
    return { status: 200, body: { uploadId, parts } };
  }

  // ---------------------------------------------------------------------------------------------
  // GET /uploads/{uploadId}?key=

  async state(caller: Caller, uploadId: string, rawKey: string | null): Promise<Result<UploadStateResponse>> {
    const key = this.key(rawKey, caller);
    const m = await this.load(uploadId, key);
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
    return { status: 200, body: { ...planOf(m), state: m.state, parts } };
  }

  // ---------------------------------------------------------------------------------------------
  // POST /uploads/{uploadId}/complete

  async complete(caller: Caller, uploadId: string, body: Record<string, unknown>): Promise<Result<CompleteUploadResponse>> {
    const key = this.key(body, caller);
    const clientCrc = crc64Field(body);
    let requested: Array<{ partNumber: number; etag: string }> | undefined;
    if (body.parts !== undefined && body.parts !== null) {
      const seen = new Set<number>();
      requested = objectArray(body, 'parts', MAX_PARTS).map((p, i) => {
        const partNumber = partNumberAt(p.partNumber, `parts[${i}].partNumber`);
        if (seen.has(partNumber)) throw invalidArgument(`parts[${i}].partNumber`, `part ${partNumber} is listed twice`);
        seen.add(partNumber);
        if (typeof p.etag !== 'string' || p.etag === '') throw invalidArgument(`parts[${i}].etag`, 'must be the ETag OSS returned for the part');
        return { partNumber, etag: p.etag };
      });
    }
    const m = await this.load(uploadId, key);
    if (m.state === 'completed') return this.alreadyCompleted(m);
    this.requireUploading(m);

    let listed: PartInfo[];
    try {
      listed = await listAllParts(this.oss, { key, uploadId });
    } catch (err) {
      if (isOssError(err, 'NoSuchUpload')) return this.recoverCompleted(m);
      throw err;
    }
    const parts = this.selectParts(m, listed, requested);
    const size = parts.reduce((n, p) => n + p.size, 0);
    if (m.size !== null && size !== m.size) {
      throw new HttpError(409, 'SizeMismatch', `the parts add up to ${size} bytes, the upload was planned for ${m.size}`, { details: { expected: m.size, actual: size } });
    }
    const folded = foldCrc64(parts);
    if (clientCrc !== undefined && folded !== undefined && clientCrc !== folded) {
      // Caught before Complete: the upload stays open, so the client can re-check and re-send parts.
      throw new HttpError(409, 'ChecksumMismatch', `the parts' combined CRC-64 ${folded} differs from the client's ${clientCrc}; the upload was not completed`, {
        details: { clientCrc64: clientCrc.toString(), partsCrc64: folded.toString(), completed: false },
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
      if (isOssError(err, 'NoSuchUpload')) return this.recoverCompleted(m);
      if (isOssError(err, 'InvalidPart')) throw new HttpError(409, 'InvalidPart', `OSS refused the part list: ${err.message}`, { cause: err });
      throw err;
    }
    const ossCrc = done.crc64 ?? (await headObject(this.oss, key)).crc64;
    const expected = folded ?? clientCrc;
    const bad =
      (ossCrc !== undefined && expected !== undefined && ossCrc !== expected) || (ossCrc !== undefined && clientCrc !== undefined && ossCrc !== clientCrc);
    if (bad) return this.rejectObject(m, done.etag, { ossCrc64: ossCrc, partsCrc64: folded, clientCrc64: clientCrc });

    const crc = (ossCrc ?? expected)?.toString() ?? '';
    const at = this.now().toISOString();
    m.state = 'completed';
    m.result = { size, crc64: crc, etag: done.etag, partCount: parts.length, completedAt: at };
    m.updatedAt = at;
    await writeManifest(this.oss, m);
    await releaseIndex(this.oss, m.indexKey, uploadId).catch(() => undefined); // GC cleans leftovers
    return { status: 200, body: { key, size, etag: done.etag, crc64: crc, partCount: parts.length, alreadyCompleted: false } };
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
      if (unknown.length > 0) {
        throw new HttpError(409, 'InvalidPart', `${unknown.length} part(s) are not in OSS with the given ETag: ${summarize(unknown)}`, { details: { parts: unknown.slice(0, 1000) } });
      }
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
      throw new HttpError(409, 'InvalidPart', `parts beyond the plan's ${m.partCount}`, { details: { parts: parts.filter((p) => p.partNumber > m.partCount!).map((p) => p.partNumber) } });
    }
    if (missing.length > 0) {
      throw new HttpError(409, 'MissingParts', `${missing.length} part(s) are missing: ${summarize(missing)}`, { details: { missing: missing.slice(0, 1000), missingCount: missing.length } });
    }
    if (m.size !== null) {
      const wrong = parts
        .filter((p) => p.size !== partSizeOf(p.partNumber, m.partSize, m.size!))
        .map((p) => ({ partNumber: p.partNumber, expected: partSizeOf(p.partNumber, m.partSize, m.size!), actual: p.size }));
      if (wrong.length > 0) {
        throw new HttpError(409, 'PartSizeMismatch', `${wrong.length} part(s) do not have their planned size: ${summarize(wrong.map((w) => w.partNumber))}`, { details: { parts: wrong.slice(0, 1000) } });
      }
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
    const at = this.now().toISOString();
    m.state = 'failed';
    m.failure = { code: 'ChecksumMismatch', message, details, at };
    m.updatedAt = at;
    await writeManifest(this.oss, m);
    await releaseIndex(this.oss, m.indexKey, m.uploadId).catch(() => undefined);
    throw new HttpError(409, 'ChecksumMismatch', message, { details });
  }

  /** A completed upload asked again: answer only after checking the object is still what we verified. */
  private async alreadyCompleted(m: UploadManifest): Promise<Result<CompleteUploadResponse>> {
    const r = m.result!;
    const head = await this.headOrGone(m);
    if (head.size !== r.size || (head.crc64 !== undefined && head.crc64.toString() !== r.crc64)) {
      throw new HttpError(409, 'ObjectChanged', `${m.key} no longer holds the object this upload completed`, {
        details: { expected: { size: r.size, crc64: r.crc64 }, actual: { size: head.size, crc64: head.crc64?.toString() } },
      });
    }
    return { status: 200, body: { key: m.key, size: r.size, etag: r.etag, crc64: r.crc64, partCount: r.partCount, alreadyCompleted: true } };
  }

  /** OSS no longer knows the upload: if a Complete of ours went through, the object proves it. */
  private async recoverCompleted(m: UploadManifest): Promise<Result<CompleteUploadResponse>> {
    const c = m.completing;
    if (!c) throw noSuchUpload(m.uploadId, m.key);
    const head = await this.headOrGone(m);
    if (head.size !== c.size || head.crc64 === undefined || head.crc64.toString() !== c.crc64) {
      throw new HttpError(409, 'ObjectChanged', `upload ${m.uploadId} is gone and ${m.key} is not the object it would have made`, {
        details: { expected: { size: c.size, crc64: c.crc64 }, actual: { size: head.size, crc64: head.crc64?.toString() } },
      });
    }
    const at = this.now().toISOString();
    m.state = 'completed';
    m.result = { size: c.size, crc64: c.crc64, etag: head.etag, partCount: c.partCount, completedAt: at };
    m.updatedAt = at;
    await writeManifest(this.oss, m);
    await releaseIndex(this.oss, m.indexKey, m.uploadId).catch(() => undefined);
    return { status: 200, body: { key: m.key, size: c.size, etag: head.etag, crc64: c.crc64, partCount: c.partCount, alreadyCompleted: true } };
  }

  private async headOrGone(m: UploadManifest) {
    try {
      return await headObject(this.oss, m.key);
    } catch (err) {
      if (isOssError(err, 'NotFound')) throw new HttpError(409, 'ObjectChanged', `${m.key} no longer exists`);
      throw err;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // DELETE /uploads/{uploadId}?key=

  async abort(caller: Caller, uploadId: string, rawKey: string | null): Promise<Result<undefined>> {
    const key = this.key(rawKey, caller);
    const m = await this.load(uploadId, key);
    if (m.state === 'completed') throw new HttpError(409, 'UploadCompleted', `upload ${uploadId} is completed; delete the object instead`);
    if (m.state === 'uploading') {
      try {
        await abortMultipartUpload(this.oss, { key, uploadId });
      } catch (err) {
        if (!isOssError(err, 'NoSuchUpload')) throw err;
      }
    }
    await releaseIndex(this.oss, m.indexKey, uploadId);
    await deleteManifest(this.oss, uploadId);
    return { status: 204, body: undefined };
  }
}

function summarize(ns: number[]): string {
  const shown = ns.slice(0, 20).join(', ');
  return ns.length > 20 ? `${shown}, … (${ns.length} in all)` : shown;
}
