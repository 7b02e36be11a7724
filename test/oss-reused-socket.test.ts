// A request that meets a dead keep-alive socket (an FC instance thawed after a long idle: OSS closed the
// socket while the instance was frozen) is sent once more on a new socket, if repeating it is harmless.
// The local OSS server cuts the connection of the next matching request before answering.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOssClient, getObject, headObject, initiateMultipartUpload, putObject, type OssClient } from '../shared/oss';
import { startTestOssServer, type TestOssServer } from './helpers/oss-server';

let oss: TestOssServer;
const clients: OssClient[] = [];
const client = () => {
  const o = oss.clientOptions(true);
  const c = createOssClient({ bucket: oss.bucket, region: o.region, endpoint: o.endpoint, credentials: oss.credentials });
  clients.push(c);
  return c;
};
const cutNext = (operation: string, count = 1) => oss.admin('POST', '/faults', { match: { operation }, resetAfterBytes: 0, direction: 'request', count });

beforeAll(async () => {
  oss = await startTestOssServer();
  const c = client();
  await putObject(c, 'idle/object.txt', 'still here');
});
afterEach(async () => {
  await oss.admin('DELETE', '/faults');
});
afterAll(async () => {
  for (const c of clients) c.close();
  await oss.close();
});

describe('a reset of a reused keep-alive socket', () => {
  it('is retried once for an idempotent request', async () => {
    const c = client();
    await headObject(c, 'idle/object.txt'); // leaves a socket in the pool
    await cutNext('HeadObject');
    expect((await headObject(c, 'idle/object.txt')).size).toBe(10);
    await cutNext('PutObject');
    await putObject(c, 'idle/object.txt', 'still here');
    expect((await getObject(c, 'idle/object.txt')).body.toString()).toBe('still here');
  });

  it('is not retried twice', async () => {
    const c = client();
    await headObject(c, 'idle/object.txt');
    await cutNext('HeadObject', 2);
    await expect(headObject(c, 'idle/object.txt')).rejects.toMatchObject({ kind: 'Network', operation: 'headObject' });
  });

  it('is not retried for a request that must not run twice (initiate multipart upload)', async () => {
    const c = client();
    await headObject(c, 'idle/object.txt');
    await cutNext('InitiateMultipartUpload');
    await expect(initiateMultipartUpload(c, 'idle/big.bin')).rejects.toMatchObject({ kind: 'Network', operation: 'initiateMultipartUpload' });
  });

  it('on a new socket is a plain network error (nothing was reused, nothing to retry)', async () => {
    const c = client();
    await cutNext('HeadObject');
    await expect(headObject(c, 'idle/object.txt')).rejects.toMatchObject({ kind: 'Network', operation: 'headObject' });
  });
});
