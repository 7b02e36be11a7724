// Multipart uploads: Initiate, UploadPart (streamed to disk), UploadPartCopy, ListParts,
// ListMultipartUploads, Complete (order/ETag/size checks, combined CRC-64) and Abort.
import { createHash } from 'node:crypto';
import { foldCrc64 } from '../../shared/crc64';
import { MAX_PART_NUMBER } from '../../shared/oss/validate';
import { isCold, md5ToEtag, quoteEtag, uploadAttributes } from './attributes';
import { parseContentMd5, readSmallBody, receiveToFile, type ReceivedBody } from './body';
import { header, isoSeconds, sendEmpty, sendXml, urlEncodeKey, type Ctx } from './context';
import { OssError, errors } from './errors';
import { newUploadId } from './ids';
import { intParam, walk } from './listing';
import { checkCopyConditions, declaredLength, objectStream, parseCopySource } from './objects';
import { compareKeys } from './sorted-keys';
import type { ObjectDraft, PartRecord, UploadRecord } from './store';
import { parseXml, xmlChild, xmlChildren, xmlDocument, xmlText } from './xml';

function urlEncoding(ctx: Ctx): boolean {
  const v = ctx.route.query.get('encoding-type');
  if (v === undefined || v === '') return false;
  if (v !== 'url') throw errors.invalidArgument('The encoding-type is invalid; only url is supported.', 'encoding-type', v);
  return true;
}

function uploadIdParam(ctx: Ctx): string {
  return ctx.route.query.get('uploadId') ?? '';
}

function partNumberParam(ctx: Ctx): number {
  const raw = ctx.route.query.get('partNumber') ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PART_NUMBER) {
    throw errors.invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`, 'partNumber', raw);
  }
  return n;
}

export async function initiateMultipartUpload(ctx: Ctx): Promise<void> {
  const bucket = ctx.route.bucket!;
  const key = ctx.route.key!;
  const b = ctx.store.requireBucket(bucket);
  const url = urlEncoding(ctx);
  const attrs = uploadAttributes(ctx.req, b);
  if (attrs.forbidOverwrite && ctx.store.getObject(bucket, key)) {
    throw new OssError('FileAlreadyExists', 'The object you specified already exists and can not be overwritten.', { Key: key });
  }
  const record: UploadRecord = { uploadId: newUploadId(), key, initiated: Date.now(), ...attrs };
  await ctx.store.createUpload(bucket, record);
  sendXml(
    ctx,
    200,
    xmlDocument([
      'InitiateMultipartUploadResult',
      [url && ['EncodingType', 'url'], ['Bucket', bucket], ['Key', url ? urlEncodeKey(key) : key], ['UploadId', record.uploadId]],
    ]),
  );
}

/** The part a request writes: bucket, key, part number and an upload that must exist. */
interface PartTarget {
  bucket: string;
  key: string;
  partNumber: number;
  uploadId: string;
}

function partTarget(ctx: Ctx): PartTarget {
  const bucket = ctx.route.bucket!;
  const key = ctx.route.key!;
  const partNumber = partNumberParam(ctx);
  const uploadId = uploadIdParam(ctx);
  ctx.store.requireUpload(bucket, key, uploadId);
  return { bucket, key, partNumber, uploadId };
}

/** Commits a part whose bytes were received into `tmp` (by UploadPart or UploadPartCopy). */
function storePart(ctx: Ctx, t: PartTarget, got: ReceivedBody, tmp: string): Promise<PartRecord> {
  const record = { partNumber: t.partNumber, etag: md5ToEtag(got.md5), crc64: got.crc64, size: got.size, lastModified: Date.now() };
  return ctx.store.putPart(t.bucket, t.key, t.uploadId, record, tmp);
}

export async function uploadPart(ctx: Ctx): Promise<void> {
  const { bucket, key, partNumber, uploadId } = partTarget(ctx);
  const expectedMd5 = parseContentMd5(header(ctx.req, 'content-md5'));
  const length = declaredLength(ctx, ctx.config.maxObjectSize);
  const tmp = ctx.store.tempPath();
  const got = await receiveToFile(ctx.body(), tmp, { maxBytes: ctx.config.maxObjectSize, expectedMd5, expectedLength: length });
  const part = await storePart(ctx, { bucket, key, partNumber, uploadId }, got, tmp);
  sendEmpty(ctx, 200, {
    ETag: quoteEtag(part.etag),
    'x-oss-hash-crc64ecma': part.crc64,
    'Content-MD5': got.md5.toString('base64'),
  });
}

/** UploadPartCopy: copies a byte range of an existing object into a part (streamed, hashed). */
export async function uploadPartCopy(ctx: Ctx): Promise<void> {
  const { bucket, key, partNumber, uploadId } = partTarget(ctx);
  const source = parseCopySource(header(ctx.req, 'x-oss-copy-source')!);
  const src = ctx.store.getObject(source.bucket, source.key);
  if (!src) throw errors.noSuchKey(source.key);
  checkCopyConditions(ctx, src);
  if (isCold(src) && !(src.restoredUntil !== undefined && src.restoredUntil > Date.now())) {
    throw new OssError('InvalidObjectState', "The operation is not valid for the object's state", { Key: source.key }, 403);
  }
  let start = 0;
  let end = src.size - 1;
  const rangeHeader = header(ctx.req, 'x-oss-copy-source-range');
  if (rangeHeader !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader.trim());
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= src.size) {
      throw errors.invalidArgument('The x-oss-copy-source-range is invalid.', 'x-oss-copy-source-range', rangeHeader);
    }
    start = Number(m[1]);
    end = Number(m[2]);
  }
  if (end - start + 1 > ctx.config.maxObjectSize) {
    throw new OssError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', { MaxSizeAllowed: ctx.config.maxObjectSize });
  }
  const tmp = ctx.store.tempPath();
  ctx.store.acquireBlob(source.bucket, src.blob);
  let got;
  try {
    got = await receiveToFile(objectStream(ctx.store, source.bucket, src, start, end), tmp, { maxBytes: ctx.config.maxObjectSize });
  } finally {
    ctx.store.releaseBlob(source.bucket, src.blob);
  }
  const part = await storePart(ctx, { bucket, key, partNumber, uploadId }, got, tmp);
  sendXml(ctx, 200, xmlDocument(['CopyPartResult', [['LastModified', isoSeconds(part.lastModified)], ['ETag', quoteEtag(part.etag)]]]), {
    ETag: quoteEtag(part.etag),
  });
}

export function listParts(ctx: Ctx): void {
  const bucket = ctx.route.bucket!;
  const key = ctx.route.key!;
  const uploadId = uploadIdParam(ctx);
  const url = urlEncoding(ctx);
  const u = ctx.store.requireUpload(bucket, key, uploadId);
  const max = intParam(ctx, 'max-parts', 1000, 1, 1000);
  const marker = intParam(ctx, 'part-number-marker', 0, 0, MAX_PART_NUMBER);
  const all = [...u.parts.values()].filter((p) => p.partNumber > marker).sort((a, b) => a.partNumber - b.partNumber);
  const page = all.slice(0, max);
  const truncated = all.length > max;
  const next = page.length ? page[page.length - 1].partNumber : marker;
  sendXml(
    ctx,
    200,
    xmlDocument([
      'ListPartsResult',
      [
        url && ['EncodingType', 'url'],
        ['Bucket', bucket],
        ['Key', url ? urlEncodeKey(key) : key],
        ['UploadId', uploadId],
        ['StorageClass', u.record.storageClass],
        ['PartNumberMarker', marker],
        ['NextPartNumberMarker', next],
        ['MaxParts', max],
        ['IsTruncated', truncated],
        ...page.map(
          (p) =>
            [
              'Part',
              [
                ['PartNumber', p.partNumber],
                ['LastModified', isoSeconds(p.lastModified)],
                ['ETag', quoteEtag(p.etag)],
                ['HashCrc64ecma', p.crc64],
                ['Size', p.size],
              ],
            ] as const,
        ),
      ],
    ]),
  );
}

export function listMultipartUploads(ctx: Ctx): void {
  const bucket = ctx.route.bucket!;
  const q = ctx.route.query;
  const url = urlEncoding(ctx);
  const prefix = q.get('prefix') ?? '';
  const delimiter = q.get('delimiter') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = q.get('upload-id-marker') ?? '';
  const max = intParam(ctx, 'max-uploads', 1000, 1, 1000);
  // Upload ids are time-ordered, so (key, uploadId) order is (key, initiation time) order.
  const all = ctx.store
    .listUploads(bucket)
    .sort((a, b) => compareKeys(a.key, b.key) || (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0));
  const after = (u: UploadRecord): boolean => {
    if (!keyMarker) return true;
    const c = compareKeys(u.key, keyMarker);
    return c > 0 || (c === 0 && uploadIdMarker !== '' && u.uploadId > uploadIdMarker);
  };
  const start = all.findIndex(after);
  const page = walk(
    {
      size: all.length,
      at: (i) => all[i],
      keyOf: (u) => u.key,
      afterPrefix: (p, from) => {
        let i = from;
        while (i < all.length && all[i].key.startsWith(p)) i++;
        return i;
      },
    },
    start < 0 ? all.length : start,
    prefix,
    delimiter,
    max,
    keyMarker && !uploadIdMarker ? keyMarker : undefined,
  );
  const enc = (s: string) => (url ? urlEncodeKey(s) : s);
  const lastUpload = page.items[page.items.length - 1];
  // A listed common prefix never equals an upload key (such a key would have been rolled up).
  const lastIsPrefix = page.prefixes.length > 0 && page.last === page.prefixes[page.prefixes.length - 1];
  const nextKey = page.truncated ? (page.last ?? '') : '';
  const nextId = page.truncated && !lastIsPrefix && lastUpload ? lastUpload.uploadId : '';
  sendXml(
    ctx,
    200,
    xmlDocument([
      'ListMultipartUploadsResult',
      [
        url && ['EncodingType', 'url'],
        ['Bucket', bucket],
        ['KeyMarker', enc(keyMarker)],
        ['UploadIdMarker', uploadIdMarker],
        ['NextKeyMarker', enc(nextKey)],
        ['NextUploadIdMarker', nextId],
        ['Delimiter', enc(delimiter)],
        ['Prefix', enc(prefix)],
        ['MaxUploads', max],
        ['IsTruncated', page.truncated],
        ...page.items.map(
          (u) =>
            [
              'Upload',
              [
                ['Key', enc(u.key)],
                ['UploadId', u.uploadId],
                ['StorageClass', u.storageClass],
                ['Initiated', isoSeconds(u.initiated)],
              ],
            ] as const,
        ),
        ...page.prefixes.map((p) => ['CommonPrefixes', [['Prefix', enc(p)]]] as const),
      ],
    ]),
  );
}

interface RequestedPart {
  partNumber: number;
  etag: string;
}

function parseCompleteBody(text: string): RequestedPart[] {
  const doc = parseXml(text);
  const root = xmlChild(doc, 'CompleteMultipartUpload');
  if (!root) throw errors.malformedXml();
  const parts = xmlChildren(root, 'Part').map((p) => {
    const num = (xmlText(p, 'PartNumber') ?? '').trim();
    const etag = xmlText(p, 'ETag');
    if (!/^\d+$/.test(num) || etag === undefined) throw errors.malformedXml();
    return { partNumber: Number(num), etag: etag.trim() };
  });
  if (parts.length === 0) throw errors.malformedXml('The request must name at least one part.');
  return parts;
}

const bareEtag = (etag: string) => etag.replace(/^"|"$/g, '').toUpperCase();

/** The multipart object ETag: MD5 over the parts' binary MD5s, then "-<count>" (opaque to clients). */
function multipartEtag(parts: PartRecord[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(Buffer.from(p.etag, 'hex'));
  return `${md5ToEtag(h.digest())}-${parts.length}`;
}

/** Folds the parts' CRCs in ascending order: crc(p1‖p2‖…) without reading any data. */
export function combinedCrc(parts: PartRecord[]): string {
  return foldCrc64(parts.map((p) => ({ crc64: BigInt(p.crc64), size: p.size }))).toString();
}

export async function completeMultipartUpload(ctx: Ctx): Promise<void> {
  const bucket = ctx.route.bucket!;
  const key = ctx.route.key!;
  const uploadId = uploadIdParam(ctx);
  const url = urlEncoding(ctx);
  ctx.store.requireUpload(bucket, key, uploadId);
  const completeAll = (header(ctx.req, 'x-oss-complete-all') ?? '').toLowerCase() === 'yes';
  const body = await readSmallBody(ctx.body(), 4 * 1024 * 1024);
  let requested: RequestedPart[] | undefined;
  if (completeAll) {
    if (body.length > 0) throw errors.invalidArgument('With x-oss-complete-all: yes the request body must be empty.', 'x-oss-complete-all', 'yes');
  } else {
    requested = parseCompleteBody(body.toString('utf8'));
  }
  const forbidHeader = (header(ctx.req, 'x-oss-forbid-overwrite') ?? '').toLowerCase() === 'true';
  let chosen: PartRecord[] = [];
  const rec = await ctx.store.completeUpload(bucket, key, uploadId, (u) => {
    if (requested) {
      for (let i = 1; i < requested.length; i++) {
        if (requested[i].partNumber <= requested[i - 1].partNumber) {
          throw new OssError('InvalidPartOrder', 'The list of parts was not in ascending order. Parts list must be specified in order by part number.', {
            UploadId: uploadId,
            PartNumber: requested[i].partNumber,
          });
        }
      }
      chosen = requested.map((r) => {
        const p = u.parts.get(r.partNumber);
        if (!p || p.etag !== bareEtag(r.etag)) {
          throw new OssError('InvalidPart', 'One or more of the specified parts could not be found or the specified entity tag might not have matched the part\'s entity tag.', {
            UploadId: uploadId,
            PartNumber: r.partNumber,
            ETag: r.etag,
          });
        }
        return p;
      });
    } else {
      chosen = [...u.parts.values()].sort((a, b) => a.partNumber - b.partNumber);
      if (chosen.length === 0) throw errors.invalidArgument('The upload has no parts to complete.', 'x-oss-complete-all', 'yes');
    }
    for (let i = 0; i < chosen.length - 1; i++) {
      if (chosen[i].size < ctx.config.minPartSize) {
        throw new OssError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size.', {
          UploadId: uploadId,
          PartNumber: chosen[i].partNumber,
          ProposedSize: chosen[i].size,
          MinSizeAllowed: ctx.config.minPartSize,
          ETag: quoteEtag(chosen[i].etag),
        });
      }
    }
    const draft: ObjectDraft = {
      key,
      size: chosen.reduce((n, p) => n + p.size, 0),
      etag: multipartEtag(chosen),
      crc64: combinedCrc(chosen),
      type: 'Multipart',
      storageClass: u.record.storageClass,
      contentType: u.record.contentType,
      headers: u.record.headers,
      meta: u.record.meta,
      tags: u.record.tags,
    };
    return { draft, parts: chosen, forbidOverwrite: u.record.forbidOverwrite || forbidHeader };
  });
  const host = header(ctx.req, 'host') ?? 'localhost';
  const keyPath = key.split('/').map(encodeURIComponent).join('/');
  const location = ctx.route.style === 'virtual' ? `http://${host}/${keyPath}` : `http://${host}/${bucket}/${keyPath}`;
  sendXml(
    ctx,
    200,
    xmlDocument([
      'CompleteMultipartUploadResult',
      [
        url && ['EncodingType', 'url'],
        ['Location', location],
        ['Bucket', bucket],
        ['Key', url ? urlEncodeKey(key) : key],
        ['ETag', quoteEtag(rec.etag)],
      ],
    ]),
    { ETag: quoteEtag(rec.etag), 'x-oss-hash-crc64ecma': rec.crc64 },
  );
}

export async function abortMultipartUpload(ctx: Ctx): Promise<void> {
  await ctx.store.abortUpload(ctx.route.bucket!, ctx.route.key!, uploadIdParam(ctx));
  sendEmpty(ctx, 204);
}
