import { resolve } from 'node:path';
import { parseFlags, parsePort, untilSignal, UsageError, type Command } from '../command';
import { validateBucketName } from '../../shared/config';
import { startOssServer } from '../../local/oss-server';
import { LOCAL_DEFAULT_PORTS } from '../../local/defaults';
import { localSettingsFromEnv } from '../../local/env';

const usage = `Usage: argo-oss oss-server [options]

An OSS-compatible HTTP server backed by a directory: V1 and V4 signatures verified, multipart,
CRC-64, listing, batch delete, tagging, lifecycle (with an apply-now admin endpoint), fault injection.

Options:
  --port PORT        port to listen on (default ${LOCAL_DEFAULT_PORTS.oss}; 0 picks a free one)
  --host HOST        address to listen on (default 127.0.0.1)
  --data-dir DIR     where buckets and objects are stored (default ./.local/oss)
  --bucket NAME      bucket to create at start; repeatable (default $OSS_BUCKET or argo-artifacts)
  --quiet            do not log each request

Environment:
  OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET  accepted credentials (default argo-oss-local /
                                            argo-oss-local-secret)
  OSS_SECURITY_TOKEN                        also require this STS token with those credentials
  OSS_BUCKET                                bucket created at start when no --bucket is given
  OSS_REGION                                region of V4 signatures (default cn-hangzhou)
  ARGO_OSS_FAULTS                           JSON array of faults to inject from the start`;

export const ossServerCommand: Command = {
  name: 'oss-server',
  summary: 'run only the OSS-compatible server',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      bucket: { type: 'string', multiple: true },
      quiet: { type: 'boolean' },
    });
    const { credential, region, bucket } = localSettingsFromEnv();
    const buckets = values.bucket?.length ? values.bucket : [bucket];
    for (const name of buckets) {
      try {
        validateBucketName(name);
      } catch (err) {
        throw new UsageError(`--bucket: ${(err as Error).message}`);
      }
    }
    const server = await startOssServer({
      host: values.host,
      port: parsePort('port', values.port, LOCAL_DEFAULT_PORTS.oss),
      dataDir: resolve(values['data-dir'] ?? '.local/oss'),
      buckets,
      credentials: [credential],
      region,
      log: values.quiet ? undefined : (line) => console.log(line),
    });
    console.log(
      `OSS-compatible server on ${server.url} (use endpoint http://localhost:${server.port} with path-style addressing)\n` +
        `  access key ${credential.accessKeyId} / ${credential.accessKeySecret}\nPress Ctrl-C to stop.`,
    );
    await untilSignal();
    await server.close();
    return 0;
  },
};
