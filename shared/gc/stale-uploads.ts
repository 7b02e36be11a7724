// Reconcile step: abort multipart uploads nobody will finish (Argo's driver never aborts a failed
// upload; a pod killed mid-upload leaves parts behind that cost storage).
//
// 1. The upload coordinator's manifests (.argo-oss/uploads/<id>.json; rules in shared/upload/manifest.ts):
//    'uploading' with no progress (updatedAt) for longer than the threshold → AbortMultipartUpload
//    (NoSuchUpload is fine: completed or aborted elsewhere), then the manifest and its index entry go;
//    'completed' / 'failed' manifests are kept as long for idempotent complete retries, then removed.
// 2. Every other in-progress upload under the artifact root (ListMultipartUploads) initiated before
//    the threshold → aborted. Uploads with a manifest are left to step 1: their `updatedAt` is a better
//    progress signal than the initiation time (a 40 TB upload takes days).
import { abortMultipartUpload, deleteObject, isOssError, iterateMultipartUploads, iterateObjectPages, type OssClient } from '../oss';
import { MANIFEST_PREFIX, readManifest, releaseIndex, type UploadManifest } from '../upload/manifest';
import { releaseUploadMarker } from '../upload/quota';
import { RESERVED_PREFIX } from '../tenancy';
import type { AuditLog } from './audit';

export interface StaleUploadOptions {
  now: Date;
  staleHours: number;
  artifactRoot: string;
  dryRun: boolean;
  audit: AuditLog;
}

export interface StaleUploadResult {
  aborted: number;
  manifestsRemoved: number;
  failed: number;
}

function manifestTime(m: UploadManifest): number {
  const t = Date.parse(m.result?.completedAt ?? m.failure?.at ?? m.updatedAt ?? m.createdAt);
  return Number.isFinite(t) ? t : 0;
}

export async function abortStaleUploads(oss: OssClient, o: StaleUploadOptions): Promise<StaleUploadResult> {
  const result: StaleUploadResult = { aborted: 0, manifestsRemoved: 0, failed: 0 };
  if (o.staleHours <= 0) return result;
  const cutoff = o.now.getTime() - o.staleHours * 3600_000;
  const withManifest = new Set<string>();

  for await (const page of iterateObjectPages(oss, { prefix: MANIFEST_PREFIX })) {
    for (const obj of page.objects) {
      const name = obj.key.slice(MANIFEST_PREFIX.length);
      if (!name.endsWith('.json') || name.includes('/')) continue;
      const uploadId = name.slice(0, -'.json'.length);
      withManifest.add(uploadId);
      let m: UploadManifest | undefined;
      try {
        m = await readManifest(oss, uploadId);
      } catch (err) {
        result.failed++;
        await o.audit.record({ action: 'remove-manifest', result: 'error', key: obj.key, error: (err as Error).message });
        continue;
      }
      if (!m || manifestTime(m) >= cutoff) continue;
      try {
        if (m.state === 'uploading') {
          if (!o.dryRun) {
            try {
              await abortMultipartUpload(oss, { key: m.key, uploadId: m.uploadId });
            } catch (err) {
              if (!isOssError(err, 'NoSuchUpload')) throw err;
            }
          }
          result.aborted++;
          await o.audit.record({ action: o.dryRun ? 'dry-run' : 'abort-upload', result: o.dryRun ? 'planned' : 'ok', key: m.key, reason: `coordinator upload ${m.uploadId} idle since ${m.updatedAt}` });
        }
        if (!o.dryRun) {
          await deleteObject(oss, obj.key);
          await releaseIndex(oss, m.indexKey, m.uploadId);
          if (m.state === 'uploading') await releaseUploadMarker(oss, m);
        }
        result.manifestsRemoved++;
        await o.audit.record({ action: o.dryRun ? 'dry-run' : 'remove-manifest', result: o.dryRun ? 'planned' : 'ok', key: m.key, target: obj.key, reason: `manifest ${m.state}, last change ${new Date(manifestTime(m)).toISOString()}` });
      } catch (err) {
        result.failed++;
        await o.audit.record({ action: 'abort-upload', result: 'error', key: m.key, error: (err as Error).message });
      }
    }
  }

  for await (const page of iterateMultipartUploads(oss, o.artifactRoot ? { prefix: o.artifactRoot } : {})) {
    for (const u of page.uploads) {
      if (withManifest.has(u.uploadId) || u.key.startsWith(RESERVED_PREFIX)) continue;
      if (!u.initiated || u.initiated.getTime() >= cutoff) continue;
      try {
        if (!o.dryRun) await abortMultipartUpload(oss, u);
        result.aborted++;
        await o.audit.record({ action: o.dryRun ? 'dry-run' : 'abort-upload', result: o.dryRun ? 'planned' : 'ok', key: u.key, reason: `multipart upload ${u.uploadId} initiated ${u.initiated.toISOString()}` });
      } catch (err) {
        if (isOssError(err, 'NoSuchUpload')) continue; // finished meanwhile
        result.failed++;
        await o.audit.record({ action: 'abort-upload', result: 'error', key: u.key, error: (err as Error).message });
      }
    }
  }
  return result;
}
