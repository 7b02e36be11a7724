// Upstream failures as HTTP errors: OSS trouble is never reported as the client's fault.
import { HttpError } from '../http/errors';
import { OssArgumentError, OssError } from '../oss';

export function mapUpstreamError(err: unknown): HttpError | undefined {
  if (err instanceof OssArgumentError) return new HttpError(400, 'InvalidArgument', err.message, { field: err.argument });
  if (!(err instanceof OssError)) return undefined;
  const where = `OSS ${err.operation} failed: ${err.code}${err.requestId ? ` (request ${err.requestId})` : ''}`;
  switch (err.kind) {
    case 'NoSuchUpload':
      return new HttpError(404, 'NoSuchUpload', `${where}: the multipart upload does not exist (aborted or completed)`);
    case 'InvalidPart':
      return new HttpError(409, 'InvalidPart', `${where}: ${err.message}`);
    case 'Throttled':
    case 'ServerError':
    case 'Network':
    case 'Timeout':
      return new HttpError(503, 'UpstreamUnavailable', `${where}: ${err.message}; retry`, { headers: { 'retry-after': '2' } });
    case 'AccessDenied':
      return new HttpError(502, 'UpstreamAccessDenied', `${where}: the coordinator's OSS credentials were refused`);
    default:
      return new HttpError(502, 'UpstreamError', `${where}: ${err.message}`);
  }
}
