// Fills the gaps in @types/ali-oss 6.23.3 for the ali-oss 6.23.0 behaviour we rely on (checked against
// the package source in node_modules/ali-oss/lib). Namespace members merge; instance methods of the
// exported class cannot be augmented through `export =`, so the corrected method set is declared as
// OSS.Client and shared/oss/client.ts casts the instance to it once.
import type { Agent as HttpAgent, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';

declare module 'ali-oss' {
  /** Constructor options the typings omit (read in lib/client.js and initOptions.js). */
  interface Options {
    /** Path-style `/bucket/key` addressing (undocumented). Real OSS rejects it; local servers need it. */
    sldEnable?: boolean;
    /** HTTP agent for http: endpoints; default is a process-wide agentkeepalive. */
    agent?: HttpAgent | false;
    /** HTTPS agent for https: endpoints. */
    httpsAgent?: HttpsAgent | false;
    /** Retries on network errors (status -1/-2) for non-stream bodies. */
    retryMax?: number;
    /** Mutates the *global* agents' maxSockets: do not use with custom agents. */
    maxSockets?: number;
  }

  /** urllib timeout: one number for both, or [connect, response] in ms. */
  type Timeout = number | readonly [number, number];

  interface CallOptions {
    timeout?: Timeout;
    headers?: Record<string, string>;
    subres?: Record<string, string | number>;
  }

  /** What urllib hands back as `res` (the typings call it NormalSuccessResponse). */
  interface RawResponse {
    status: number;
    headers: IncomingHttpHeaders;
    size: number;
    rt: number;
    requestUrls?: string[];
  }

  /** The lifecycle rule shape ali-oss 6.x actually emits and returns (the typings have the 4.x shape). */
  interface LifecycleDaysOrDate {
    days?: number | string;
    /** ISO-8601 at UTC midnight, e.g. 2025-01-01T00:00:00.000Z */
    createdBeforeDate?: string;
  }
  interface LifecycleTag {
    key: string;
    value: string;
  }
  type LifecycleTransition = LifecycleDaysOrDate & { storageClass: 'IA' | 'Archive' | 'ColdArchive' | 'DeepColdArchive' };
  interface LifecycleRuleV2 {
    id?: string;
    prefix: string;
    status: 'Enabled' | 'Disabled';
    expiration?: LifecycleDaysOrDate & { expiredObjectDeleteMarker?: boolean | 'true' | 'false' };
    /** Several transitions are allowed (a list on read when the rule has more than one). */
    transition?: LifecycleTransition | LifecycleTransition[];
    abortMultipartUpload?: LifecycleDaysOrDate;
    noncurrentVersionExpiration?: { noncurrentDays: number | string };
    noncurrentVersionTransition?: { noncurrentDays: number | string; storageClass: string } | Array<{ noncurrentDays: number | string; storageClass: string }>;
    tag?: LifecycleTag | LifecycleTag[];
    /** Elements ali-oss round-trips generically (e.g. filter), first letter lower-cased. */
    [element: string]: unknown;
  }

  /** One part in a ListParts page, as xml2js parses it: every leaf is a string. */
  interface ListPartsPart {
    PartNumber: string;
    LastModified: string;
    ETag: string;
    Size: string;
    HashCrc64ecma?: string;
  }

  /** Methods we use, with the shapes ali-oss 6.23.0 really has. */
  interface Client {
    readonly options: { bucket: string | null; region: string; endpoint: { hostname: string }; sldEnable: boolean };

    put(
      name: string,
      body: Buffer,
      options?: CallOptions & { mime?: string; meta?: Record<string, string> },
    ): Promise<{ name: string; url: string; res: RawResponse }>;
    getStream(
      name: string,
      options?: CallOptions,
    ): Promise<{ stream: IncomingMessage; res: { status: number; headers: IncomingHttpHeaders } }>;
    head(name: string, options?: CallOptions & { versionId?: string }): Promise<{ status: number; meta: Record<string, string> | null; res: RawResponse }>;
    delete(name: string, options?: CallOptions): Promise<{ res: RawResponse }>;
    deleteMulti(
      names: string[],
      options?: CallOptions & { quiet?: boolean },
    ): Promise<{ deleted: Array<{ Key: string; VersionId?: string }>; res: RawResponse }>;
    listV2(
      query: {
        prefix?: string;
        delimiter?: string;
        'max-keys'?: number;
        'start-after'?: string;
        'continuation-token'?: string;
        'fetch-owner'?: boolean;
      },
      options?: CallOptions,
    ): Promise<{
      objects: Array<{ name: string; lastModified: string; etag: string; type: string; size: number; storageClass: string }>;
      prefixes: string[] | null;
      isTruncated: boolean;
      keyCount: number;
      nextContinuationToken: string | null;
      res: RawResponse;
    }>;

    initMultipartUpload(
      name: string,
      options?: CallOptions & { mime?: string; meta?: Record<string, string> },
    ): Promise<{ uploadId: string; bucket: string; name: string; res: RawResponse }>;
    uploadPart(
      name: string,
      uploadId: string,
      partNo: number,
      file: Buffer | Readable,
      start: number,
      end: number,
      options?: CallOptions & { disabledMD5?: boolean },
    ): Promise<{ name: string; etag: string; res: RawResponse }>;
    completeMultipartUpload(
      name: string,
      uploadId: string,
      parts: Array<{ number: number; etag: string }>,
      options?: CallOptions,
    ): Promise<{ bucket: string; name: string; etag: string; res: RawResponse }>;
    listParts(
      name: string,
      uploadId: string,
      query?: { 'max-parts'?: number; 'part-number-marker'?: number },
      options?: CallOptions,
    ): Promise<{
      uploadId: string;
      bucket: string;
      name: string;
      partNumberMarker: string;
      nextPartNumberMarker: string | undefined;
      maxParts: string;
      /** The string 'true' / 'false' (ali-oss does not convert it). */
      isTruncated: string | boolean;
      /** A single object when the page holds one part. */
      parts: ListPartsPart | ListPartsPart[] | undefined;
      res: RawResponse;
    }>;
    listUploads(
      query: {
        prefix?: string;
        delimiter?: string;
        'max-uploads'?: number;
        'key-marker'?: string;
        'upload-id-marker'?: string;
      },
      options?: CallOptions,
    ): Promise<{
      uploads: Array<{ name: string; uploadId: string; initiated: string }>;
      nextKeyMarker: string | undefined;
      nextUploadIdMarker: string | undefined;
      isTruncated: boolean;
      res: RawResponse;
    }>;
    /** Also stops any in-flight multipartUpload() of this instance (we never use that helper). */
    abortMultipartUpload(name: string, uploadId: string, options?: CallOptions): Promise<{ res: RawResponse }>;

    signatureUrlV4(
      method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD',
      expires: number,
      request: { headers?: Record<string, string>; queries?: Record<string, string | number | null> } | undefined,
      objectName: string,
      additionalHeaders?: string[],
    ): Promise<string>;

    getBucketLifecycle(bucket: string, options?: CallOptions): Promise<{ rules: LifecycleRuleV2[] | null; res: RawResponse }>;
    putBucketLifecycle(bucket: string, rules: LifecycleRuleV2[], options?: CallOptions): Promise<{ res: RawResponse }>;
    deleteBucketLifecycle(bucket: string, options?: CallOptions): Promise<{ res: RawResponse }>;

    /**
     * The SDK's generic signed request (lib/client.js), used where a method's own validation or XML
     * building would lose data (PutBucketLifecycle with rules ali-oss cannot express).
     */
    request(params: {
      method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
      bucket?: string;
      object?: string;
      subres?: string | Record<string, string>;
      headers?: Record<string, string>;
      content?: Buffer | string;
      mime?: string;
      successStatuses?: number[];
      timeout?: Timeout;
    }): Promise<{ status: number; headers: IncomingHttpHeaders; data: Buffer; res: RawResponse }>;

    getObjectTagging(name: string, options?: CallOptions): Promise<{ tag: Record<string, string>; status: number; res: RawResponse }>;
    putObjectTagging(name: string, tag: Record<string, string>, options?: CallOptions): Promise<{ status: number; res: RawResponse }>;
    deleteObjectTagging(name: string, options?: CallOptions): Promise<{ status: number; res: RawResponse }>;
  }

  /** ali-oss error objects (lib/client.js requestError and urllib). */
  interface RequestError extends Error {
    code?: string;
    status?: number;
    requestId?: string;
    hostId?: string;
    ecCode?: string;
    params?: unknown;
  }
}
