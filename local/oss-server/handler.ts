// The request pipeline: common headers, admin split, routing, faults, authentication,
// bucket existence, then the operation's handler; every failure becomes the OSS error envelope.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sleep } from '../../shared/backoff';
import { authenticate, type Credential } from './auth';
import { handleAdmin } from './admin';
import { deleteBucket, getBucketInfo, getBucketLocation, listBuckets, putBucket } from './buckets';
import { baseHeaders, header, sendError, type Ctx, type ServerConfig } from './context';
import { OssError } from './errors';
import { cutRequestAfter, cutResponseAfter, faultError, type FaultRegistry } from './faults';
import { newRequestId } from './ids';
import { deleteBucketLifecycle, getBucketLifecycle, putBucketLifecycle } from './lifecycle';
import { listObjects, listObjectsV2 } from './listing';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  initiateMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart';
import { copyObject, deleteMultipleObjects, deleteObject, getObject, getObjectMeta, putObject, restoreObject } from './objects';
import { assertSupported, isAdminPath, route, routeAdmin, splitTarget, type Operation } from './router';
import type { Store } from './store';
import { deleteObjectTagging, getObjectTagging, putObjectTagging } from './tagging';

type Handler = (ctx: Ctx) => void | Promise<void>;

const HANDLERS: Record<Exclude<Operation, 'Unsupported'>, Handler> = {
  ListBuckets: listBuckets,
  PutBucket: putBucket,
  DeleteBucket: deleteBucket,
  GetBucketInfo: getBucketInfo,
  GetBucketLocation: getBucketLocation,
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
  PutBucketLifecycle: putBucketLifecycle,
  GetBucketLifecycle: getBucketLifecycle,
  DeleteBucketLifecycle: deleteBucketLifecycle,
  DeleteMultipleObjects: deleteMultipleObjects,
  ListMultipartUploads: listMultipartUploads,
  PutObject: putObject,
  CopyObject: copyObject,
  GetObject: getObject,
  HeadObject: getObject,
  GetObjectMeta: getObjectMeta,
  DeleteObject: deleteObject,
  PutObjectTagging: putObjectTagging,
  GetObjectTagging: getObjectTagging,
  DeleteObjectTagging: deleteObjectTagging,
  RestoreObject: restoreObject,
  InitiateMultipartUpload: initiateMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
};

export interface HandlerDeps {
  store: Store;
  faults: FaultRegistry;
  config: ServerConfig;
  credentials: Map<string, Credential>;
  log?: (line: string) => void;
}

function toOssError(err: unknown): OssError {
  if (err instanceof OssError) return err;
  return new OssError('InternalError', `We encountered an internal error. Please try again. (${err instanceof Error ? err.message : String(err)})`);
}

export function createHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const lookup = (id: string) => deps.credentials.get(id);
  return (req, res) => {
    const requestId = newRequestId();
    const started = Date.now();
    let operation = '-';
    baseHeaders(res, requestId);
    if (deps.log) {
      res.on('close', () => {
        const state = res.writableFinished ? String(res.statusCode) : `${res.statusCode}!aborted`;
        deps.log!(`${req.method} ${req.url} ${state} ${operation} ${Date.now() - started}ms ${requestId}`);
      });
    }
    void (async () => {
      const url = req.url ?? '/';
      const method = (req.method ?? 'GET').toUpperCase();
      try {
        if (isAdminPath(splitTarget(url).path, header(req, 'host'))) {
          operation = 'Admin';
          await handleAdmin(req, res, routeAdmin(url), deps);
          return;
        }
        const r = route(method, url, req.headers);
        operation = r.operation;
        const ctx: Ctx = { req, res, requestId, route: r, store: deps.store, config: deps.config, body: () => req };

        const fault = deps.faults.take({ operation: r.operation, method, bucket: r.bucket, key: r.key });
        if (fault) {
          if (fault.latencyMs) await sleep(fault.latencyMs);
          const injected = faultError(fault);
          if (injected) throw injected;
          if (fault.resetAfterBytes !== undefined) {
            const limit = fault.resetAfterBytes;
            if (fault.direction === 'request') {
              if (limit === 0) {
                req.socket?.destroy();
                return;
              }
              ctx.body = () => cutRequestAfter(req, limit);
            } else {
              cutResponseAfter(res, limit);
            }
          }
        }

        const outcome = authenticate({ method, bucket: r.bucket, key: r.key, rawQuery: r.rawQuery, headers: req.headers }, lookup, {
          now: new Date(),
          region: deps.config.region,
        });
        if (!outcome.ok) throw new OssError(outcome.code, outcome.message, outcome.details ?? {}, outcome.status);
        ctx.accessKeyId = outcome.accessKeyId;

        assertSupported(r);
        if (r.bucket !== undefined && r.operation !== 'PutBucket') deps.store.requireBucket(r.bucket);
        await HANDLERS[r.operation as Exclude<Operation, 'Unsupported'>](ctx);
      } catch (err) {
        const e = toOssError(err);
        if (e.code === 'InternalError' && deps.log) deps.log(`internal error ${requestId}: ${err instanceof Error ? err.stack : String(err)}`);
        if ((!req.socket || req.socket.destroyed) && !res.headersSent) {
          res.destroy(); // the client went away (or a fault cut it); nobody to answer
          return;
        }
        sendError(req, res, requestId, e);
      }
    })();
  };
}
