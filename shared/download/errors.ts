// Every failure of a download as an HttpError: Argo resolution, OSS, the cluster, archives. Messages
// name what was asked for, never secrets; 5xx details go to the log, not to the caller.
import type { ServerResponse } from 'node:http';
import { ArgoError } from '../argo';
import { HttpError } from '../http/errors';
import { KubeError } from '../k8s';
import { OssArgumentError, OssError } from '../oss';
import { TgzError } from './tgz';

const ARGO_STATUS: Record<ArgoError['code'], [number, string]> = {
  NodesOffloaded: [501, 'NodesOffloaded'],
  NodesCorrupt: [409, 'NodesCorrupt'],
  NodeNotFound: [404, 'NodeNotFound'],
  ArtifactNotFound: [404, 'ArtifactNotFound'],
  NoLocation: [404, 'ArtifactNotWritten'],
  UnsupportedStorage: [422, 'UnsupportedStorage'],
  LocationNotServed: [403, 'LocationNotServed'],
};

/** Maps a thrown value to the HttpError the caller sees; undefined means an unexpected bug (500). */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof ArgoError) {
    const [status, code] = ARGO_STATUS[err.code];
    return new HttpError(status, code, err.message);
  }
  if (err instanceof TgzError) {
    if (err.code === 'InvalidArchive') return new HttpError(422, 'InvalidArchive', `the artifact is not a readable .tgz: ${err.message}`);
    const limit = err.code === 'TooManyEntries' ? 'ARGO_OSS_TGZ_MAX_ENTRIES' : 'ARGO_OSS_TGZ_MAX_BYTES';
    return new HttpError(422, 'ArchiveTooLarge', `cannot read inside the archive: ${err.message} (limit ${limit}); download the archive itself with ?download=raw`);
  }
  if (err instanceof OssArgumentError) return new HttpError(400, 'InvalidArgument', err.message, { field: err.argument });
  if (err instanceof OssError) {
    switch (err.kind) {
      case 'NotFound':
        return new HttpError(404, 'ObjectNotFound', `the artifact's object ${err.key ?? ''} is not in the bucket (deleted or never written)`);
      case 'InvalidRange':
        return new HttpError(416, 'RangeNotSatisfiable', 'the requested range is not satisfiable');
      case 'PreconditionFailed':
        return new HttpError(503, 'ObjectChanged', 'the object changed while it was being read; retry', { headers: { 'retry-after': '1' } });
      case 'AccessDenied':
      case 'NoSuchBucket':
        return new HttpError(502, 'StorageMisconfigured', `OSS refused the function's request (${err.code}): check its role and bucket`);
      case 'Timeout':
        return new HttpError(504, 'StorageTimeout', 'OSS did not answer in time', { headers: { 'retry-after': '2' } });
      default:
        return new HttpError(502, 'StorageUnavailable', `OSS failed (${err.code})`, { headers: { 'retry-after': '2' } });
    }
  }
  if (err instanceof KubeError) {
    return new HttpError(503, 'ClusterUnavailable', 'the Kubernetes API could not be reached to read the workflow', { headers: { 'retry-after': '2' } });
  }
  return undefined;
}

/** Writes an error as JSON if nothing was sent yet; otherwise cuts the connection (never a clean short body). */
export function sendError(res: ServerResponse, err: HttpError, head: boolean): void {
  if (res.headersSent) {
    res.destroy(err);
    return;
  }
  const body = Buffer.from(JSON.stringify(err.toJSON()), 'utf8');
  res.writeHead(err.status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': String(body.length),
    ...err.headers,
  });
  res.end(head ? undefined : body);
}
