// Service and bucket operations: ListBuckets, PutBucket, DeleteBucket, GetBucketInfo,
// GetBucketLocation. Endpoints in responses use the configured region's public OSS names.
import { parseStorageClass } from './attributes';
import { isoSeconds, sendEmpty, sendXml, type Ctx } from './context';
import { OssError } from './errors';
import { intParam } from './listing';
import { readSmallBody } from './body';
import { parseXml, xmlChild, xmlDocument, xmlText } from './xml';

const location = (region: string) => `oss-${region.replace(/^oss-/, '')}`;

export function listBuckets(ctx: Ctx): void {
  const q = ctx.route.query;
  const prefix = q.get('prefix') ?? '';
  const marker = q.get('marker') ?? '';
  const max = intParam(ctx, 'max-keys', 1000, 1, 1000);
  const all = ctx.store.listBuckets().filter((b) => b.name.startsWith(prefix) && b.name > marker);
  const page = all.slice(0, max);
  const truncated = all.length > max;
  const loc = location(ctx.config.region);
  const owner = ctx.accessKeyId ?? 'anonymous';
  sendXml(
    ctx,
    200,
    xmlDocument([
      'ListAllMyBucketsResult',
      [
        q.has('prefix') && ['Prefix', prefix],
        q.has('marker') && ['Marker', marker],
        q.has('max-keys') && ['MaxKeys', max],
        (q.has('max-keys') || truncated) && ['IsTruncated', truncated],
        truncated && ['NextMarker', page[page.length - 1].name],
        ['Owner', [['ID', owner], ['DisplayName', owner]]],
        [
          'Buckets',
          page.map(
            (b) =>
              [
                'Bucket',
                [
                  ['CreationDate', isoSeconds(b.createdAt)],
                  ['ExtranetEndpoint', `${loc}.aliyuncs.com`],
                  ['IntranetEndpoint', `${loc}-internal.aliyuncs.com`],
                  ['Location', loc],
                  ['Name', b.name],
                  ['Region', ctx.config.region.replace(/^oss-/, '')],
                  ['StorageClass', b.storageClass],
                ],
              ] as const,
          ),
        ],
      ],
    ]),
  );
}

export async function putBucket(ctx: Ctx): Promise<void> {
  const bucket = ctx.route.bucket!;
  const body = await readSmallBody(ctx.body(), 64 * 1024);
  let storageClass = parseStorageClass(undefined, 'Standard');
  if (body.length) {
    const conf = xmlChild(parseXml(body.toString('utf8')), 'CreateBucketConfiguration');
    storageClass = parseStorageClass(conf ? xmlText(conf, 'StorageClass') : undefined, 'Standard');
  }
  const { created } = await ctx.store.createBucket(bucket, storageClass);
  if (!created) {
    throw new OssError('BucketAlreadyExists', 'The requested bucket name is not available.', { BucketName: bucket });
  }
  sendEmpty(ctx, 200, { Location: `/${bucket}` });
}

export async function deleteBucket(ctx: Ctx): Promise<void> {
  await ctx.store.deleteBucket(ctx.route.bucket!);
  sendEmpty(ctx, 204);
}

export function getBucketInfo(ctx: Ctx): void {
  const b = ctx.store.requireBucket(ctx.route.bucket!);
  const loc = location(ctx.config.region);
  const owner = ctx.accessKeyId ?? 'anonymous';
  sendXml(
    ctx,
    200,
    xmlDocument([
      'BucketInfo',
      [
        [
          'Bucket',
          [
            ['AccessMonitor', 'Disabled'],
            ['CreationDate', isoSeconds(b.record.createdAt)],
            ['CrossRegionReplication', 'Disabled'],
            ['DataRedundancyType', 'LRS'],
            ['ExtranetEndpoint', `${loc}.aliyuncs.com`],
            ['IntranetEndpoint', `${loc}-internal.aliyuncs.com`],
            ['Location', loc],
            ['Name', b.record.name],
            ['StorageClass', b.record.storageClass],
            ['TransferAcceleration', 'Disabled'],
            ['Owner', [['DisplayName', owner], ['ID', owner]]],
            ['AccessControlList', [['Grant', 'private']]],
            ['ServerSideEncryptionRule', [['SSEAlgorithm', 'None']]],
          ],
        ],
      ],
    ]),
  );
}

export function getBucketLocation(ctx: Ctx): void {
  ctx.store.requireBucket(ctx.route.bucket!);
  sendXml(ctx, 200, xmlDocument(['LocationConstraint', location(ctx.config.region)]));
}
