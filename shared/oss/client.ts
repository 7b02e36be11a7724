// ali-oss client factory: V4 signing, endpoint/addressing decisions, credential precedence, agents.
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import OSS from 'ali-oss';
import { ConfigError, normalizeRegion, parseEndpointUrl, publicEndpointFor, type Config } from '../config';
import type { FcContext } from '../http/fc';
import { OssArgumentError } from './errors';
import { watchReusedSocket } from './reused-socket';

/** The corrected ali-oss method set (types/ali-oss-augment.d.ts). */
export type AliOss = OSS.Client;

export type Addressing = 'auto' | 'path' | 'virtual';

// ---------------------------------------------------------------------------------------------
// Endpoint and addressing

export interface EndpointPlan {
  /** Origin handed to ali-oss. */
  endpoint: string;
  /** true: `/bucket/key` on the endpoint host (ali-oss `sldEnable`); false: `bucket.host/key`. */
  pathStyle: boolean;
  /** localhost, *.localhost or a loopback address. */
  local: boolean;
  /** The original endpoint when a loopback IP was replaced by `localhost`. */
  rewrittenFrom?: string;
}

function isLoopbackIp(host: string): boolean {
  return /^127(?:\.\d{1,3}){3}$/.test(host) || host === '::1' || host === '0.0.0.0' || host === '::';
}

/**
 * Decides how to address the bucket on `endpoint`. Local endpoints get path style so a single local
 * server can serve any bucket without wildcard DNS.
 */
export function planEndpoint(endpoint: string, addressing: Addressing = 'auto'): EndpointPlan {
  let origin: string;
  try {
    origin = parseEndpointUrl(endpoint);
  } catch (err) {
    throw new OssArgumentError('endpoint', (err as Error).message);
  }
  const url = new URL(origin);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let rewrittenFrom: string | undefined;
  if (isIP(host)) {
    // ali-oss cannot use an IP endpoint for us: it sends `Host: <bucket>.oss-<region>.aliyuncs.com`
    // to the IP, and signatureUrl/signatureUrlV4 either throw ("can not get the object URL when
    // endpoint is IP") or build URLs without the bucket. A loopback IP is the same machine as
    // `localhost`, so rewrite it; any other IP needs a hostname.
    if (!isLoopbackIp(host)) {
      throw new OssArgumentError(
        'endpoint',
        `${origin} is an IP address; ali-oss cannot address buckets or presign URLs on IP endpoints. ` +
          'Use a hostname that resolves to it (e.g. an /etc/hosts entry).',
      );
    }
    rewrittenFrom = origin;
    url.hostname = 'localhost';
    origin = url.origin;
  }
  const hostname = url.hostname;
  const local = hostname === 'localhost' || hostname.endsWith('.localhost');
  const pathStyle = addressing === 'path' || (addressing === 'auto' && local);
  return { endpoint: origin, pathStyle, local, ...(rewrittenFrom ? { rewrittenFrom } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Credentials

export interface OssCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  /** STS token; required with STS AccessKeys (FC role credentials always are). */
  securityToken?: string;
}

export type CredentialSource = 'explicit' | 'fc-context' | 'alibaba-cloud-env' | 'oss-env';

export type CredentialConfig = Partial<
  Pick<
    Config,
    | 'alibabaCloudAccessKeyId'
    | 'alibabaCloudAccessKeySecret'
    | 'alibabaCloudSecurityToken'
    | 'ossAccessKeyId'
    | 'ossAccessKeySecret'
    | 'ossSecurityToken'
  >
>;

export interface CredentialSources {
  explicit?: Partial<OssCredentials>;
  fcContext?: FcContext | null;
  config?: CredentialConfig;
}

function pick(id: string | undefined, secret: string | undefined, token: string | undefined, what: string): OssCredentials | undefined {
  const i = id?.trim();
  const s = secret?.trim();
  if (!i && !s) return undefined;
  if (!i || !s) throw new OssArgumentError('credentials', `${what}: accessKeyId and accessKeySecret must be given together`);
  const t = token?.trim();
  return { accessKeyId: i, accessKeySecret: s, ...(t ? { securityToken: t } : {}) };
}

/**
 * Precedence: explicit credentials -> the FC handler's `context.credentials` (the function role's
 * STS key) -> ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET/SECURITY_TOKEN (what FC custom runtimes expose, and
 * the standard Alibaba Cloud variables elsewhere) -> OSS_ACCESS_KEY_ID/SECRET (+ OSS_SECURITY_TOKEN).
 */
export function resolveCredentials(sources: CredentialSources): { credentials: OssCredentials; source: CredentialSource } {
  const { explicit, fcContext, config = {} } = sources;
  const candidates: Array<[CredentialSource, () => OssCredentials | undefined]> = [
    ['explicit', () => pick(explicit?.accessKeyId, explicit?.accessKeySecret, explicit?.securityToken, 'explicit credentials')],
    [
      'fc-context',
      () => {
        const c = fcContext?.credentials;
        return pick(c?.accessKeyId, c?.accessKeySecret, c?.securityToken, 'context.credentials');
      },
    ],
    [
      'alibaba-cloud-env',
      () =>
        pick(config.alibabaCloudAccessKeyId, config.alibabaCloudAccessKeySecret, config.alibabaCloudSecurityToken, 'ALIBABA_CLOUD_ACCESS_KEY_*'),
    ],
    ['oss-env', () => pick(config.ossAccessKeyId, config.ossAccessKeySecret, config.ossSecurityToken, 'OSS_ACCESS_KEY_*')],
  ];
  for (const [source, get] of candidates) {
    const credentials = get();
    if (credentials) return { credentials, source };
  }
  throw new ConfigError([
    {
      variable: 'OSS_ACCESS_KEY_ID',
      message:
        'no OSS credentials: give a function role (FC context.credentials), set ALIBABA_CLOUD_ACCESS_KEY_ID/' +
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET[/ALIBABA_CLOUD_SECURITY_TOKEN], or OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET',
    },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Timeouts

export interface OssTimeouts {
  /** TCP/TLS connect. */
  connectMs: number;
  /**
   * urllib's response timer: from connect until response headers. For uploads it includes sending the
   * whole body, so transfers add `bytes / minBytesPerSecond` on top (see transferTimeout).
   * For getStream it stops at the headers, so long downloads are not cut off.
   */
  responseMs: number;
  /** Slowest throughput a body transfer is allowed before it times out. */
  minBytesPerSecond: number;
}

export const DEFAULT_TIMEOUTS: OssTimeouts = { connectMs: 10_000, responseMs: 60_000, minBytesPerSecond: 1024 * 1024 };

/** Per-call options accepted by every operation. */
export interface CallOptions {
  /** Response timeout for this call in ms (connect timeout stays the client's). */
  timeoutMs?: number;
}

/** [connect, response] timeout for a call that sends `bytes` of body. */
export function transferTimeout(timeouts: OssTimeouts, bytes = 0, timeoutMs?: number): [number, number] {
  if (timeoutMs !== undefined) {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new OssArgumentError('timeoutMs', 'must be a positive number');
    return [Math.min(timeoutMs, timeouts.connectMs), timeoutMs];
  }
  const body = bytes > 0 ? Math.ceil((bytes / timeouts.minBytesPerSecond) * 1000) : 0;
  return [timeouts.connectMs, timeouts.responseMs + body];
}

// ---------------------------------------------------------------------------------------------
// Client

export interface OssClientOptions {
  bucket: string;
  /** `cn-hangzhou` or `oss-cn-hangzhou`; always passed to ali-oss, it is the V4 signing region. */
  region: string;
  /** Default: the region's public endpoint. */
  endpoint?: string;
  /** Endpoint written into presigned URLs; default: `endpoint`. */
  publicEndpoint?: string;
  addressing?: Addressing;
  credentials: OssCredentials;
  /** Sockets per agent; size it for the number of parts/requests in flight. Default 64. */
  maxSockets?: number;
  timeouts?: Partial<OssTimeouts>;
  /**
   * ali-oss retries network errors (-1/-2) of requests without a stream body this many times.
   * Default 0: a retried CompleteMultipartUpload can see NoSuchUpload although the first attempt
   * created the object, so callers that enable it must reconcile with headObject.
   */
  retryMax?: number;
  /** Idle keep-alive sockets are closed after this (below typical server idle timeouts). Default 15 s. */
  freeSocketTimeoutMs?: number;
}

interface Agents {
  http: http.Agent;
  https: https.Agent;
}

// Agents that report a reset of a reused socket to the request attempt (see reused-socket.ts).
class KeepAliveHttpAgent extends http.Agent {
  addRequest(req: http.ClientRequest, options: http.RequestOptions): void {
    watchReusedSocket(req);
    (http.Agent.prototype as unknown as { addRequest(r: http.ClientRequest, o: http.RequestOptions): void }).addRequest.call(this, req, options);
  }
}
class KeepAliveHttpsAgent extends https.Agent {
  addRequest(req: http.ClientRequest, options: http.RequestOptions): void {
    watchReusedSocket(req);
    (https.Agent.prototype as unknown as { addRequest(r: http.ClientRequest, o: http.RequestOptions): void }).addRequest.call(this, req, options);
  }
}

function keepAliveAgents(maxSockets: number, freeSocketTimeoutMs: number): Agents {
  // Node's Agent closes free sockets after `timeout` and honours the server's `Keep-Alive: timeout=N`
  // hint, which avoids "socket hang up" on sockets the server already dropped (ali-oss #605/#859).
  // That timer does not run while FC freezes the instance: ossCall retries an idempotent request once
  // when its reused socket turns out to be dead.
  const opts = { keepAlive: true, maxSockets, maxFreeSockets: Math.min(maxSockets, 32), timeout: freeSocketTimeoutMs, scheduling: 'lifo' as const };
  return { http: new KeepAliveHttpAgent(opts), https: new KeepAliveHttpsAgent(opts) };
}

function streamAgents(maxSockets: number): Agents {
  // Streaming GETs get their own non-keep-alive agents (ali-oss #40): a consumer that destroys a
  // response mid-body (client went away, Range served, error) would otherwise hand a half-read
  // socket back to the pool and a later request on it fails with "socket hang up". Without
  // keep-alive the socket dies with the stream; one extra connect per download is noise next to
  // a multi-GiB body.
  const opts = { keepAlive: false, maxSockets };
  return { http: new http.Agent(opts), https: new https.Agent(opts) };
}

export class OssClient {
  readonly bucket: string;
  /** Bare region id, e.g. cn-hangzhou. */
  readonly region: string;
  readonly endpoint: EndpointPlan;
  readonly publicEndpoint: EndpointPlan;
  readonly timeouts: OssTimeouts;
  private readonly options: OssClientOptions;
  private readonly agents: Agents;
  private readonly streamAgentSet: Agents;
  private current!: { sdk: AliOss; streamSdk: AliOss; presignSdk: AliOss };

  constructor(options: OssClientOptions) {
    this.options = options;
    try {
      this.region = normalizeRegion(options.region);
    } catch (err) {
      throw new OssArgumentError('region', (err as Error).message);
    }
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(options.bucket)) throw new OssArgumentError('bucket', `invalid bucket name ${JSON.stringify(options.bucket)}`);
    this.bucket = options.bucket;
    this.endpoint = planEndpoint(options.endpoint ?? publicEndpointFor(this.region), options.addressing);
    this.publicEndpoint = options.publicEndpoint ? planEndpoint(options.publicEndpoint, options.addressing) : this.endpoint;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const maxSockets = options.maxSockets ?? 64;
    this.agents = keepAliveAgents(maxSockets, options.freeSocketTimeoutMs ?? 15_000);
    this.streamAgentSet = streamAgents(maxSockets);
    this.setCredentials(options.credentials);
  }

  /** Keep-alive SDK instance for request/response calls. */
  get sdk(): AliOss {
    return this.current.sdk;
  }

  /** SDK instance on non-keep-alive agents, for getStream. */
  get streamSdk(): AliOss {
    return this.current.streamSdk;
  }

  /** SDK instance on the public endpoint; only signs URLs, never sends. */
  get presignSdk(): AliOss {
    return this.current.presignSdk;
  }

  /**
   * Swaps credentials (e.g. each FC invocation's fresh context.credentials) while keeping the
   * connection pools. ali-oss instances are cheap to build; they hold no sockets themselves.
   */
  setCredentials(credentials: OssCredentials): void {
    const c = pick(credentials.accessKeyId, credentials.accessKeySecret, credentials.securityToken, 'credentials');
    if (!c) throw new OssArgumentError('credentials', 'accessKeyId and accessKeySecret are required');
    const make = (plan: EndpointPlan, agents: Agents): AliOss => {
      const opts: OSS.Options = {
        accessKeyId: c.accessKeyId,
        accessKeySecret: c.accessKeySecret,
        // The interval only silences ali-oss's "set refreshSTSToken" console warning; refreshing is
        // done by setCredentials with the caller's fresh credentials.
        ...(c.securityToken ? { stsToken: c.securityToken, refreshSTSTokenInterval: 300_000 } : {}),
        bucket: this.bucket,
        // ali-oss derives the V4 signing region from `region` minus "oss-"; set it even with an
        // endpoint, or every request is signed for cn-hangzhou.
        region: `oss-${this.region}`,
        endpoint: plan.endpoint,
        secure: plan.endpoint.startsWith('https:'),
        sldEnable: plan.pathStyle,
        authorizationV4: true,
        timeout: this.timeouts.responseMs,
        agent: agents.http,
        httpsAgent: agents.https,
        retryMax: this.options.retryMax ?? 0,
      };
      // The typings model the instance with the pre-6.x method set; OSS.Client is the checked shape.
      return new OSS(opts) as unknown as AliOss;
    };
    this.current = {
      sdk: make(this.endpoint, this.agents),
      streamSdk: make(this.endpoint, this.streamAgentSet),
      presignSdk: make(this.publicEndpoint, this.agents),
    };
  }

  /** [connect, response] timeouts for a call sending `bytes` of body (or an explicit per-call timeout). */
  timeoutFor(call?: CallOptions, bytes = 0): [number, number] {
    return transferTimeout(this.timeouts, bytes, call?.timeoutMs);
  }

  /** Closes pooled sockets. In-flight requests finish on their own sockets. */
  close(): void {
    for (const a of [this.agents, this.streamAgentSet]) {
      a.http.destroy();
      a.https.destroy();
    }
  }
}

export function createOssClient(options: OssClientOptions): OssClient {
  return new OssClient(options);
}

export interface ClientFromConfigOptions extends Omit<OssClientOptions, 'bucket' | 'region' | 'endpoint' | 'publicEndpoint' | 'addressing' | 'credentials'> {
  /** Highest-precedence credentials (CLI flags, tests). */
  credentials?: Partial<OssCredentials>;
  /** The FC handler context; its `credentials` win over environment variables. */
  fcContext?: FcContext | null;
}

/** Client for the configured bucket, with credentials resolved by precedence. */
/** What a component needs in its configuration to reach OSS: bucket, region, endpoints, credentials. */
export type OssAccessConfig = Pick<Config, 'ossBucket' | 'ossRegion' | 'ossEndpoint' | 'ossPublicEndpoint' | 'ossAddressing'> & CredentialConfig;

export function createOssClientFromConfig(
  config: OssAccessConfig,
  options: ClientFromConfigOptions = {},
): OssClient & { credentialSource: CredentialSource } {
  const { credentials: explicit, fcContext, ...rest } = options;
  const { credentials, source } = resolveCredentials({ explicit, fcContext, config });
  const client = new OssClient({
    ...rest,
    bucket: config.ossBucket,
    region: config.ossRegion,
    endpoint: config.ossEndpoint,
    publicEndpoint: config.ossPublicEndpoint,
    addressing: config.ossAddressing,
    credentials,
  });
  return Object.assign(client, { credentialSource: source });
}
