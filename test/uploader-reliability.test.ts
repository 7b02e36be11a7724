// Uploader reliability that needs its own stack: presigned URLs that expire during a slow part
// (a coordinator with a 2-second URL TTL), and part bytes corrupted on the wire (the coordinator
// presigns URLs through a proxy that damages a part's body on its way to OSS).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc64 } from '../shared/crc64';
import { getObject, headObject, type OssClient } from '../shared/oss';
import { startGateway } from '../local/gateway';
import { uploadCoordinatorMount } from '../local/upload-mount';
import { LOCAL_DEFAULT_REGION } from '../local/defaults';
import { uploadFile } from '../cli/upload';
import { runCli } from './helpers/cli';
import { startTestCoordinator } from './helpers/coordinator';
import { startTestKubeApi } from './helpers/kube-api';
import { startTestOssServer } from './helpers/oss-server';
import { startCorruptingProxy } from './helpers/uploader';

const KiB = 1024;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uploader-reliability-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectObject(oss: OssClient, key: string, data: Buffer): Promise<void> {
  const head = await headObject(oss, key);
  expect(head.size).toBe(data.length);
  expect(head.crc64).toBe(crc64(data));
  expect(Buffer.compare((await getObject(oss, key)).body, data)).toBe(0);
}

describe('presigned URL expiry', () => {
  it('re-signs a URL that expired while its part was slow, and continues', async () => {
    const c = await startTestCoordinator({ env: { ARGO_OSS_PART_URL_TTL: '2' } });
    try {
      const data = randomBytes(10 * 100 * KiB);
      const path = join(dir, 'slow.bin');
      await writeFile(path, data);
      // One part is held 3 s before OSS looks at it: by then its 2-second URL has expired.
      await c.ossServer.admin('POST', '/faults', { match: { operation: 'UploadPart' }, count: 1, latencyMs: 3000 });
      const r = await runCli(['upload', path, '--key', 'slow/a.bin', '--part-size', '100KB', '--concurrency', '3', '--json'], {
        ARGO_OSS_COORDINATOR: c.url,
        ARGO_OSS_TOKEN: c.adminToken,
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/part \d+: 403 AccessDenied: .*expired.*; asking the coordinator for a fresh URL/i);
      const s = JSON.parse(r.stdout);
      expect(s).toMatchObject({ parts: 10, partsUploaded: 10, resigns: 1, verified: true, crc64: crc64(data).toString() });
      await expectObject(c.oss, 'slow/a.bin', data);
    } finally {
      await c.close();
    }
  });
});

describe('corrupted part', () => {
  it('detects bytes damaged on the way to OSS by the CRC-64 and re-sends the part', async () => {
    const oss = await startTestOssServer();
    const kube = await startTestKubeApi();
    // Only UploadPart bodies are damaged (the first two); the coordinator's own requests pass.
    const proxy = await startCorruptingProxy(oss.server.port, { count: 2, shouldCorrupt: (req) => /[?&]partNumber=/.test(req.url ?? '') });
    const { mount, app } = await uploadCoordinatorMount({
      ossEndpoint: proxy.url,
      credential: oss.credentials,
      region: LOCAL_DEFAULT_REGION,
      bucket: oss.bucket,
      kubeconfigPath: kube.api.kubeconfigPath,
      env: {},
    });
    const gateway = await startGateway({ port: 0, mounts: [mount] });
    const { createOssClient } = await import('../shared/oss');
    const client = createOssClient({ bucket: oss.bucket, region: LOCAL_DEFAULT_REGION, endpoint: `http://localhost:${oss.server.port}`, credentials: oss.credentials });
    try {
      const data = randomBytes(6 * 100 * KiB + 3);
      const path = join(dir, 'corrupt.bin');
      await writeFile(path, data);
      const lines: string[] = [];
      const s = await uploadFile({ coordinator: gateway.url, token: kube.api.adminToken, key: 'c/corrupt.bin', path, partSize: 100 * KiB, concurrency: 2, progress: 'none', log: (l) => lines.push(l) });
      expect(proxy.corrupted()).toBe(2);
      expect(s).toMatchObject({ parts: 7, partsUploaded: 7, resends: 2, verified: true, crc64: crc64(data).toString() });
      expect(lines.filter((l) => /Crc64Mismatch: OSS stored CRC-64 \d+, the bytes sent have \d+; sending it again/.test(l))).toHaveLength(2);
      await expectObject(client, 'c/corrupt.bin', data);
    } finally {
      client.close();
      await gateway.close();
      app.close();
      await proxy.close();
      await Promise.allSettled([kube.close(), oss.close()]);
    }
  });
});
