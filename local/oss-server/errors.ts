// OSS error model: one class carrying status/code/message plus the extra XML elements OSS adds
// (Key, UploadId, ArgumentName, StringToSign, ...). A leaf: its XML envelope is rendered by xml.ts.

/** EC (error-center) codes for the errors we raise; OSS always ends the envelope with <EC>. */
const EC: Record<string, string> = {
  AccessDenied: '0003-00000001',
  BucketAlreadyExists: '0015-00000002',
  BucketNotEmpty: '0015-00000301',
  EntityTooLarge: '0016-00000011',
  EntityTooSmall: '0042-00000210',
  FileAlreadyExists: '0016-00000111',
  InternalError: '0000-00000001',
  InvalidArgument: '0016-00000001',
  InvalidBucketName: '0015-00000001',
  InvalidDigest: '0017-00000503',
  InvalidObjectName: '0016-00000005',
  InvalidObjectState: '0016-00000301',
  InvalidPart: '0042-00000209',
  InvalidPartOrder: '0042-00000207',
  InvalidRange: '0017-00000102',
  InvalidTag: '0016-00000902',
  MalformedXML: '0016-00000001',
  MethodNotAllowed: '0016-00000002',
  NoSuchBucket: '0015-00000101',
  NoSuchKey: '0026-00000001',
  NoSuchLifecycle: '0014-00000101',
  NoSuchUpload: '0042-00000002',
  NotImplemented: '0016-00000101',
  PreconditionFailed: '0026-00000004',
  ServiceUnavailable: '0000-00000503',
  SignatureDoesNotMatch: '0002-00000040',
  SlowDown: '0000-00000429',
  TooManyBuckets: '0015-00000003',
};

const DEFAULT_STATUS: Record<string, number> = {
  AccessDenied: 403,
  BucketAlreadyExists: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  FileAlreadyExists: 409,
  InternalError: 500,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidObjectName: 400,
  InvalidObjectState: 403,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidTag: 400,
  MalformedXML: 400,
  MethodNotAllowed: 405,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchLifecycle: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  PreconditionFailed: 412,
  ServiceUnavailable: 503,
  SlowDown: 503,
};

const CODE_FOR_STATUS: Record<number, string> = {
  400: 'InvalidArgument',
  403: 'AccessDenied',
  404: 'NoSuchKey',
  409: 'Conflict',
  412: 'PreconditionFailed',
  416: 'InvalidRange',
  429: 'SlowDown',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
};

export class OssError extends Error {
  readonly status: number;
  readonly code: string;
  /** Extra elements written after HostId, in insertion order. */
  readonly details: Record<string, string>;
  readonly ec: string;

  constructor(code: string, message: string, details: Record<string, string | number | undefined> = {}, status?: number) {
    super(message);
    this.code = code;
    this.status = status ?? DEFAULT_STATUS[code] ?? 400;
    const clean: Record<string, string> = {};
    let ec: string | undefined;
    for (const [k, v] of Object.entries(details)) {
      if (v === undefined) continue;
      if (k === 'EC') ec = String(v);
      else clean[k] = String(v);
    }
    this.details = clean;
    this.ec = ec ?? EC[code] ?? '0000-00000000';
  }
}

export function codeForStatus(status: number): string {
  return CODE_FOR_STATUS[status] ?? (status >= 500 ? 'InternalError' : 'InvalidRequest');
}

// Factories for the errors raised in more than one place (messages follow OSS wording).
export const errors = {
  noSuchBucket: (bucket: string) =>
    new OssError('NoSuchBucket', 'The specified bucket does not exist.', { BucketName: bucket }),
  noSuchKey: (key: string) => new OssError('NoSuchKey', 'The specified key does not exist.', { Key: key }),
  noSuchUpload: (uploadId: string) =>
    new OssError(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      { UploadId: uploadId },
    ),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new OssError('InvalidArgument', message, { ArgumentName: name, ArgumentValue: value }),
  malformedXml: (message = 'The XML you provided was not well-formed or did not validate against our published schema.') =>
    new OssError('MalformedXML', message),
  invalidDigest: (message = 'The Content-MD5 you specified is not valid.', ec?: string) =>
    new OssError('InvalidDigest', message, { EC: ec }),
  notImplemented: (what: string) => new OssError('NotImplemented', `${what} is not implemented by the local OSS server.`),
  preconditionFailed: (condition: string) =>
    new OssError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold.', { Condition: condition }),
};
