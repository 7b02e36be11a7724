// Per-workflow limits on uploads (issue 10, F13): how many uploads one Workflow may have open, and how
// many bytes they may add up to. One marker object per open upload, named by its owner and charge:
//
//   .argo-oss/upload-owners/<namespace>/<workflow uid>/<bytes>.<uploadId>   (empty)
//
// A start lists its owner's markers (one LIST for up to 1,000) and refuses past a limit with 429. A
// marker is written when an upload starts and removed when it ends (complete, fail, abort, or the
// stale-upload GC's abort). Markers left behind anyway are pruned when a limit would refuse a start,
// so leftovers never lock a workflow out. Concurrent starts may overshoot a limit by
// the number racing: a guard against runaway pods, not an accounting system.
import { deleteObject, iterateObjectPages, putObject, type OssClient } from '../oss';
import { RESERVED_PREFIX, type WorkflowIdentity } from '../tenancy';
import { quotaExceeded } from './errors';
import { readManifest, type UploadManifest } from './manifest';
import { MAX_PARTS } from './plan';

export const OWNER_INDEX_PREFIX = `${RESERVED_PREFIX}upload-owners/`;

export interface UploadLimits {
  /** ARGO_OSS_UPLOADS_PER_WORKFLOW */
  uploadsPerWorkflow: number;
  /** ARGO_OSS_UPLOAD_BYTES_PER_WORKFLOW */
  uploadBytesPerWorkflow: number;
}

/** Seconds a refused start is told to wait: uploads end by completing or being aborted. */
const RETRY_AFTER_SECONDS = 60;

/** The bytes an upload holds against its workflow: its size, or for a stream the most it can grow to. */
export function chargeOf(plan: { size: number | null; partSize: number }): number {
  return plan.size ?? plan.partSize * MAX_PARTS;
}

const ownerPrefix = (owner: Pick<WorkflowIdentity, 'namespace' | 'uid'>) => `${OWNER_INDEX_PREFIX}${owner.namespace}/${owner.uid}/`;
const markerKey = (owner: Pick<WorkflowIdentity, 'namespace' | 'uid'>, uploadId: string, charge: number) => `${ownerPrefix(owner)}${charge}.${uploadId}`;

interface Marker {
  key: string;
  uploadId: string;
  charge: number;
}

/** Removes the quota marker of an open upload that ends (no-op for admin uploads, which have none). */
export async function releaseUploadMarker(oss: OssClient, m: Pick<UploadManifest, 'owner' | 'uploadId' | 'size' | 'partSize'>): Promise<void> {
  if (!m.owner.admin && m.owner.namespace && m.owner.workflowUid) {
    await deleteObject(oss, markerKey({ namespace: m.owner.namespace, uid: m.owner.workflowUid }, m.uploadId, chargeOf(m)));
  }
}

export class UploadQuota {
  constructor(
    private readonly oss: OssClient,
    private readonly limits: UploadLimits,
  ) {}

  /** Throws 429 if one more upload of `charge` bytes would pass a limit of `owner`'s. */
  async check(owner: WorkflowIdentity, charge: number): Promise<void> {
    let markers = await this.markers(owner);
    if (this.refusal(owner, markers, charge)) markers = await this.prune(markers);
    const refusal = this.refusal(owner, markers, charge);
    if (refusal) throw refusal;
  }

  async record(owner: WorkflowIdentity, uploadId: string, charge: number): Promise<void> {
    await putObject(this.oss, markerKey(owner, uploadId, charge), '');
  }

  private refusal(owner: WorkflowIdentity, markers: Marker[], charge: number) {
    const who = `workflow ${owner.namespace}/${owner.name}`;
    if (markers.length + 1 > this.limits.uploadsPerWorkflow) {
      return quotaExceeded('TooManyOpenUploads', 'ARGO_OSS_UPLOADS_PER_WORKFLOW', `${who} has ${markers.length} uploads open, the most it may have is ${this.limits.uploadsPerWorkflow}`, RETRY_AFTER_SECONDS);
    }
    const bytes = markers.reduce((n, m) => n + m.charge, 0);
    if (bytes + charge > this.limits.uploadBytesPerWorkflow) {
      return quotaExceeded(
        'TooManyBytesInFlight',
        'ARGO_OSS_UPLOAD_BYTES_PER_WORKFLOW',
        `${who} has ${bytes} bytes in open uploads; ${charge} more would pass its limit of ${this.limits.uploadBytesPerWorkflow}`,
        RETRY_AFTER_SECONDS,
      );
    }
    return undefined;
  }

  private async markers(owner: WorkflowIdentity): Promise<Marker[]> {
    const prefix = ownerPrefix(owner);
    const out: Marker[] = [];
    for await (const page of iterateObjectPages(this.oss, { prefix })) {
      for (const o of page.objects) {
        const m = /^(\d{1,16})\.(.+)$/.exec(o.key.slice(prefix.length));
        if (m) out.push({ key: o.key, charge: Number(m[1]), uploadId: m[2] });
      }
    }
    return out;
  }

  /** The markers whose upload is still open; the others are deleted. */
  private async prune(markers: Marker[]): Promise<Marker[]> {
    const live: Marker[] = [];
    for (const m of markers) {
      const manifest = await readManifest(this.oss, m.uploadId);
      if (manifest?.state === 'uploading') live.push(m);
      else await deleteObject(this.oss, m.key);
    }
    return live;
  }
}
