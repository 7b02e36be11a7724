// Environment -> typed, validated configuration.
//
// Every variable is declared exactly once in CONFIG_VARIABLES (name, default, description, readers);
// the loader, the Config type and the configuration reference (docs/configuration.md) all derive from that list.
// To add a variable: append a `defineVariable({...})` entry (and a cross-check to CONFIG_CHECKS if
// it depends on another variable). The loader itself never needs to change.

import { parseDurationSeconds } from './duration';
import { parseSize } from './size';
import { checkWorkflowKeyTemplate, DEFAULT_WORKFLOW_KEY_PREFIX } from './tenancy';

/** The deployable or runnable parts of the project that read configuration. */
export const COMPONENTS = ['upload-coordinator', 'artifact-download', 'artifact-gc', 'cli', 'local'] as const;
export type Component = (typeof COMPONENTS)[number];

const FUNCTIONS: readonly Component[] = ['upload-coordinator', 'artifact-download', 'artifact-gc'];
const OSS_USERS: readonly Component[] = COMPONENTS;

export type Env = Readonly<Record<string, string | undefined>>;

/** Thrown by a variable's parser; the loader turns it into a ConfigIssue naming the variable. */
export class ConfigValueError extends Error {
  override name = 'ConfigValueError';
}

export interface ConfigVariable<K extends string = string, T = unknown> {
  /** Environment variable name. */
  readonly name: string;
  /** Property of the loaded Config object. */
  readonly key: K;
  readonly description: string;
  /** Components that read it (drives docs/configuration.md). */
  readonly components: readonly Component[];
  /** Human-readable default for documentation; omitted when the variable has none. */
  readonly default?: string;
  /** Never echo the value in errors or dumps. */
  readonly secret?: boolean;
  /**
   * Parses the trimmed raw value (undefined when unset or blank) into the typed value, applying the
   * default. `env` is the whole environment, for defaults that depend on another variable.
   * Throws ConfigValueError with a reason; the loader adds the variable name.
   */
  readonly parse: (raw: string | undefined, env: Env) => T;
}

/** Identity helper so each declaration keeps its literal key and value type. */
export function defineVariable<K extends string, T>(v: ConfigVariable<K, T>): ConfigVariable<K, T> {
  return v;
}

export interface ConfigIssue {
  /** Offending variable (or the first of a group, e.g. a key pair). */
  readonly variable: string;
  readonly message: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      `invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${i.variable}: ${i.message}`).join('\n'),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Value parsers (small, reusable by later declarations)

/** Default of ARGO_OSS_TGZ_MAX_BYTES: decompressed bytes per .tgz request (about 10 CPU-seconds of gunzip + tar). */
export const TGZ_MAX_BYTES_DEFAULT = 4 * 1024 ** 3;
/** Default of ARGO_OSS_TGZ_MAX_ENTRIES: entries scanned per .tgz request. */
export const TGZ_MAX_ENTRIES_DEFAULT = 100_000;

/** Argo's `artifactDrivers[].name` of the argo-oss artifact plugin, unless ARGO_OSS_PLUGIN_NAME says otherwise. */
export const DEFAULT_PLUGIN_NAME = 'argo-oss';

const REGION_RE = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;
// OSS bucket naming: 3-63 chars, lowercase letters, digits, hyphens; no leading/trailing hyphen.
const BUCKET_RE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** Accepts `cn-hangzhou` or `oss-cn-hangzhou`; returns the bare region id (`cn-hangzhou`). */
export function normalizeRegion(raw: string): string {
  const region = raw.trim().toLowerCase().replace(/^oss-/, '');
  if (!REGION_RE.test(region)) {
    throw new ConfigValueError(`${JSON.stringify(raw)} is not a region id like cn-hangzhou (or oss-cn-hangzhou)`);
  }
  return region;
}

export function validateBucketName(raw: string): string {
  if (!BUCKET_RE.test(raw)) {
    throw new ConfigValueError(
      `${JSON.stringify(raw)} is not a valid OSS bucket name: 3-63 characters of lowercase letters, digits and ` +
        'hyphens, not starting or ending with a hyphen',
    );
  }
  return raw;
}

/** An http(s) endpoint URL without path, query or credentials; returned as its origin (no trailing slash). */
export function parseEndpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigValueError(`${JSON.stringify(raw)} is not a URL; use e.g. https://oss-cn-hangzhou.aliyuncs.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigValueError(`${JSON.stringify(raw)} must be an http:// or https:// URL`);
  }
  if (url.username || url.password) throw new ConfigValueError('must not contain credentials');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new ConfigValueError(`${JSON.stringify(raw)} must be a bare endpoint (scheme://host[:port]) without path or query`);
  }
  return url.origin;
}

function optionalString(raw: string | undefined): string | undefined {
  return raw === undefined ? undefined : raw;
}

function oneOf<T extends string>(values: readonly T[], fallback: T) {
  return (raw: string | undefined): T => {
    if (raw === undefined) return fallback;
    const v = raw.toLowerCase() as T;
    if (!values.includes(v)) throw new ConfigValueError(`${JSON.stringify(raw)} must be one of ${values.join(', ')}`);
    return v;
  };
}

function list(raw: string | undefined): string[] {
  return (raw ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function intIn(fallback: number, min: number, max: number) {
  return (raw: string | undefined): number => {
    const n = Number(raw ?? fallback);
    if (!Number.isInteger(n) || n < min || n > max) throw new ConfigValueError(`${JSON.stringify(raw)} must be an integer in ${min}..${max}`);
    return n;
  };
}

/** A byte size as people write it (shared/size: "500GiB", "1048576"), at least 1 byte. */
function byteSize(fallback: number) {
  return (raw: string | undefined): number => {
    if (raw === undefined) return fallback;
    let n: number;
    try {
      n = parseSize(raw);
    } catch (err) {
      throw new ConfigValueError((err as Error).message);
    }
    if (n < 1) throw new ConfigValueError('must be at least 1 byte');
    return n;
  };
}

function bool(fallback: boolean) {
  return (raw: string | undefined): boolean => {
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigValueError(`${JSON.stringify(raw)} must be true or false`);
  };
}

function trimmed(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** The OSS region the loader will use, or undefined if OSS_REGION is invalid (reported separately). */
function effectiveRegion(env: Env): string | undefined {
  try {
    return parseRegionVar(trimmed(env, 'OSS_REGION'), env);
  } catch {
    return undefined;
  }
}

function parseRegionVar(raw: string | undefined, env: Env): string {
  if (raw !== undefined) return normalizeRegion(raw);
  const fc = trimmed(env, 'FC_REGION');
  if (fc !== undefined && REGION_RE.test(fc.replace(/^oss-/, ''))) return fc.replace(/^oss-/, '');
  return DEFAULT_REGION;
}

export const DEFAULT_REGION = 'cn-hangzhou';
/** ARGO_OSS_UPLOAD_BYTES_PER_WORKFLOW default: 1000 TiB, room for twenty objects of OSS's largest size in flight. */
const DEFAULT_MAX_UPLOAD_BYTES = 1000 * 2 ** 40;
export const DEFAULT_BUCKET = 'argo-artifacts';

/** Public OSS endpoint of a region. */
export function publicEndpointFor(region: string): string {
  return `https://oss-${region}.aliyuncs.com`;
}

/** VPC-internal endpoint of a region: free traffic, reachable from FC in the same region only. */
export function internalEndpointFor(region: string): string {
  return `https://oss-${region}-internal.aliyuncs.com`;
}

// ---------------------------------------------------------------------------------------------
// Declarations

const port = intIn(9000, 0, 65535);

/**
 * The web function's listen port. FC 3.0 passes it in FC_CUSTOM_LISTEN_PORT; only the fc3 component's
 * local emulator sets FC_SERVER_PORT. Declared on its own so listenPort() can read it when the rest of
 * the configuration is broken (the function must still answer, with the error).
 */
const LISTEN_PORT = defineVariable({
  name: 'FC_CUSTOM_LISTEN_PORT',
  key: 'listenPort',
  description:
    'Set by Function Compute 3.0 for custom runtimes (it equals customRuntimeConfig.port): the port the artifact-download ' +
    'web function listens on. When unset, FC_SERVER_PORT (set only by the fc3 local emulator) is used, then 9000. 0 picks ' +
    'a free port (tests). FC reserves every FC_* name: never set them in s.yaml.',
  default: 'FC_SERVER_PORT, else 9000',
  components: ['artifact-download'],
  parse: (raw, env) => {
    if (raw !== undefined) return port(raw);
    try {
      return port(trimmed(env, 'FC_SERVER_PORT'));
    } catch (err) {
      throw new ConfigValueError(`is unset and FC_SERVER_PORT ${(err as Error).message}`);
    }
  },
});

export const CONFIG_VARIABLES = [
  defineVariable({
    name: 'OSS_REGION',
    key: 'ossRegion',
    description:
      'Region of the artifact bucket, e.g. cn-hangzhou (the oss-cn-hangzhou form is accepted and normalised). ' +
      'Also selects the V4 signing scope.',
    default: 'FC_REGION inside Function Compute, otherwise cn-hangzhou',
    components: OSS_USERS,
    parse: parseRegionVar,
  }),
  defineVariable({
    name: 'OSS_ENDPOINT',
    key: 'ossEndpoint',
    description:
      'OSS endpoint the components talk to (http:// or https:// URL without a path). A local endpoint ' +
      '(localhost, *.localhost, loopback or an IP) switches to path-style addressing.',
    default:
      'https://oss-<region>-internal.aliyuncs.com inside Function Compute when FC_REGION equals the OSS region ' +
      '(free intra-region traffic), otherwise https://oss-<region>.aliyuncs.com',
    components: OSS_USERS,
    parse: (raw, env) => {
      if (raw !== undefined) return parseEndpointUrl(raw);
      const region = effectiveRegion(env) ?? DEFAULT_REGION;
      const fcRegion = trimmed(env, 'FC_REGION')?.replace(/^oss-/, '');
      return fcRegion === region ? internalEndpointFor(region) : publicEndpointFor(region);
    },
  }),
  defineVariable({
    name: 'OSS_PUBLIC_ENDPOINT',
    key: 'ossPublicEndpoint',
    description:
      'Endpoint written into presigned URLs handed to pods and browsers. They usually cannot reach the ' +
      '-internal endpoint the functions use, so this is kept separate.',
    default: 'OSS_ENDPOINT when set, otherwise https://oss-<region>.aliyuncs.com',
    components: ['upload-coordinator', 'artifact-download', 'local'],
    parse: (raw, env) => {
      if (raw !== undefined) return parseEndpointUrl(raw);
      const endpoint = trimmed(env, 'OSS_ENDPOINT');
      if (endpoint !== undefined) {
        try {
          return parseEndpointUrl(endpoint);
        } catch {
          // OSS_ENDPOINT reports its own error; fall through to a harmless default.
        }
      }
      return publicEndpointFor(effectiveRegion(env) ?? DEFAULT_REGION);
    },
  }),
  defineVariable({
    name: 'OSS_BUCKET',
    key: 'ossBucket',
    description: 'Bucket that holds the artifacts and the bookkeeping under .argo-oss/.',
    default: DEFAULT_BUCKET,
    components: OSS_USERS,
    parse: (raw) => validateBucketName(raw ?? DEFAULT_BUCKET),
  }),
  defineVariable({
    name: 'OSS_ADDRESSING',
    key: 'ossAddressing',
    description:
      'auto: path-style (/bucket/key) for local endpoints, virtual-hosted (bucket.host) otherwise; ' +
      'path or virtual force one. Real OSS rejects path style.',
    default: 'auto',
    components: OSS_USERS,
    parse: oneOf(['auto', 'path', 'virtual'] as const, 'auto'),
  }),
  defineVariable({
    name: 'OSS_ACCESS_KEY_ID',
    key: 'ossAccessKeyId',
    description:
      'AccessKey ID for OSS (set together with OSS_ACCESS_KEY_SECRET). Used only when neither explicit nor ' +
      'Function Compute / ALIBABA_CLOUD_* credentials are available.',
    components: ['cli', 'local', ...FUNCTIONS],
    parse: optionalString,
  }),
  defineVariable({
    name: 'OSS_ACCESS_KEY_SECRET',
    key: 'ossAccessKeySecret',
    description: 'AccessKey secret for OSS (set together with OSS_ACCESS_KEY_ID).',
    components: ['cli', 'local', ...FUNCTIONS],
    secret: true,
    parse: optionalString,
  }),
  defineVariable({
    name: 'OSS_SECURITY_TOKEN',
    key: 'ossSecurityToken',
    description: 'STS security token that goes with OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET when they are STS keys.',
    components: ['cli', 'local', ...FUNCTIONS],
    secret: true,
    parse: optionalString,
  }),
  defineVariable({
    name: 'ALIBABA_CLOUD_ACCESS_KEY_ID',
    key: 'alibabaCloudAccessKeyId',
    description:
      'Standard Alibaba Cloud credential variable; Function Compute custom runtimes set it to the function ' +
      "role's STS key. Takes precedence over OSS_ACCESS_KEY_ID.",
    components: [...FUNCTIONS, 'cli'],
    parse: optionalString,
  }),
  defineVariable({
    name: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    key: 'alibabaCloudAccessKeySecret',
    description: 'Secret that goes with ALIBABA_CLOUD_ACCESS_KEY_ID.',
    components: [...FUNCTIONS, 'cli'],
    secret: true,
    parse: optionalString,
  }),
  defineVariable({
    name: 'ALIBABA_CLOUD_SECURITY_TOKEN',
    key: 'alibabaCloudSecurityToken',
    description: 'STS token that goes with ALIBABA_CLOUD_ACCESS_KEY_ID (always present for a function role).',
    components: [...FUNCTIONS, 'cli'],
    secret: true,
    parse: optionalString,
  }),
  defineVariable({
    name: 'FC_REGION',
    key: 'fcRegion',
    description: 'Set by Function Compute: the region the function runs in. Its presence means "running inside FC".',
    components: FUNCTIONS,
    parse: (raw) => (raw === undefined ? undefined : normalizeRegion(raw)),
  }),
  defineVariable({
    name: 'FC_ACCOUNT_ID',
    key: 'fcAccountId',
    description: 'Set by Function Compute: the Alibaba Cloud account (UID) that owns the function.',
    components: FUNCTIONS,
    parse: (raw) => {
      if (raw !== undefined && !/^\d+$/.test(raw)) throw new ConfigValueError(`${JSON.stringify(raw)} must be a numeric account id`);
      return raw;
    },
  }),
  defineVariable({
    name: 'FC_FUNCTION_NAME',
    key: 'fcFunctionName',
    description: 'Set by Function Compute: the name of the running function (used in logs and audit records).',
    components: FUNCTIONS,
    parse: optionalString,
  }),
  defineVariable({
    name: 'ARGO_OSS_LOCAL_TOKEN',
    key: 'localAdminToken',
    description:
      "Admin bearer token of the local stack's Kubernetes API (argo-oss local); written to the cluster's tokens.yaml.",
    default: 'the existing admin entry of tokens.yaml, else a random token written there',
    components: ['local'],
    secret: true,
    parse: (raw) => {
      if (raw !== undefined && /\s/.test(raw)) throw new ConfigValueError('must not contain whitespace');
      return raw;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_FAULTS',
    key: 'localFaults',
    description:
      'Local OSS server only: a JSON array of faults to inject from the start (same shape as POST ' +
      '/_argo-oss/faults); the server validates each entry at start.',
    components: ['local'],
    parse: optionalString,
  }),
  // --- Kubernetes access (shared/k8s): one of a kubeconfig file, a base64 kubeconfig, or server + token.
  defineVariable({
    name: 'KUBECONFIG',
    key: 'kubeconfigPath',
    description:
      'Path of a kubeconfig file (its current context is used) for reaching the cluster: TokenReview, Pods, ' +
      'Workflows. The local stack writes one. Lowest precedence of the three ways to reach the cluster.',
    components: [...FUNCTIONS, 'cli'],
    parse: optionalString,
  }),
  defineVariable({
    name: 'ARGO_OSS_KUBECONFIG_BASE64',
    key: 'kubeconfigText',
    description: 'A whole kubeconfig, base64-encoded (for Function Compute, where no file can be mounted); loaded decoded. Wins over KUBECONFIG.',
    components: FUNCTIONS,
    secret: true,
    parse: (raw) => {
      if (raw === undefined) return undefined;
      const text = Buffer.from(raw, 'base64').toString('utf8');
      if (!/\b(clusters|apiVersion)\s*:/.test(text) && !text.trim().startsWith('{')) throw new ConfigValueError('is not a base64-encoded kubeconfig');
      return text;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_KUBE_SERVER',
    key: 'kubeServer',
    description:
      'API server URL (e.g. https://1.2.3.4:6443), used with ARGO_OSS_KUBE_TOKEN and ARGO_OSS_KUBE_CA_BASE64 ' +
      'like an in-cluster service account. Wins over both kubeconfig variables.',
    components: FUNCTIONS,
    parse: (raw) => {
      if (raw === undefined) return undefined;
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new ConfigValueError(`${JSON.stringify(raw)} is not a URL`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigValueError('must be an https:// (or, for local tests, http://) URL');
      return raw.replace(/\/+$/, '');
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_KUBE_TOKEN',
    key: 'kubeToken',
    description:
      "Bearer token for ARGO_OSS_KUBE_SERVER: the functions' own service account (examples/rbac.yaml: create tokenreviews, get pods, " +
      'workflows and workflowartifactgctasks, list/patch workflows).',
    components: FUNCTIONS,
    secret: true,
    parse: optionalString,
  }),
  defineVariable({
    name: 'ARGO_OSS_KUBE_CA_BASE64',
    key: 'kubeCaBase64',
    description: "Base64 PEM of the API server's CA for ARGO_OSS_KUBE_SERVER; without it the system roots are used.",
    components: FUNCTIONS,
    parse: optionalString,
  }),
  defineVariable({
    name: 'ARGO_OSS_TOKEN_AUDIENCES',
    key: 'tokenAudiences',
    description:
      'Comma-separated audiences a caller token must fit (TokenReview spec.audiences; any one suffices), e.g. argo-oss for ' +
      "a projected token made for the coordinator. Empty: the API server's audience, i.e. the pods' automounted tokens, " +
      'which the artifact plugin needs; only pod-bound tokens of running, owner-verified pods are accepted (docs/security.md).',
    default: '(the API server audience)',
    components: ['upload-coordinator', 'artifact-download'],
    parse: (raw) => (raw === undefined ? [] : raw.split(',').map((a) => a.trim()).filter((a) => a !== '')),
  }),
  // --- Upload coordinator
  defineVariable({
    name: 'ARGO_OSS_ADMIN_GROUPS',
    key: 'adminGroups',
    description: 'Comma-separated Kubernetes groups whose members may upload to any key (not only their workflow prefix).',
    default: 'system:masters',
    components: ['upload-coordinator'],
    parse: (raw) => {
      const groups = (raw ?? 'system:masters').split(',').map((g) => g.trim()).filter((g) => g !== '');
      if (groups.includes('system:authenticated') || groups.includes('system:serviceaccounts')) {
        throw new ConfigValueError('must not include a group every caller (or every service account) belongs to');
      }
      return groups;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_READERS',
    key: 'readers',
    description:
      'Comma-separated usernames or groups granted read-only access to every artifact through the object endpoints (/objects stat and list; ' +
      'never delete or upload), e.g. system:serviceaccount:argo:argo-server for the plugin sidecar of argo-server, which checks the ' +
      "user's RBAC before it calls the plugin. Empty: nobody.",
    default: '(empty)',
    components: ['upload-coordinator'],
    parse: (raw) => {
      const readers = list(raw);
      if (readers.some((r) => r === 'system:authenticated' || r === 'system:unauthenticated' || r === 'system:serviceaccounts')) {
        throw new ConfigValueError('must not include a group every caller (or every service account) belongs to');
      }
      return readers;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_ARTIFACT_ROOT',
    key: 'artifactRoot',
    description: "Key prefix all uploads must stay under, ending in '/' (e.g. artifacts/). Empty: the whole bucket except .argo-oss/.",
    default: '(empty: the whole bucket)',
    components: ['upload-coordinator', 'artifact-download', 'artifact-gc'],
    parse: (raw) => {
      if (raw === undefined) return '';
      if (!raw.endsWith('/')) throw new ConfigValueError(`${JSON.stringify(raw)} must end with '/'`);
      if (raw.startsWith('/') || raw.includes('//') || raw.split('/').some((s) => s === '.' || s === '..')) {
        throw new ConfigValueError(`${JSON.stringify(raw)} must be a relative key prefix without empty, '.' or '..' segments`);
      }
      if (raw.startsWith('.argo-oss/')) throw new ConfigValueError('must not be inside the reserved prefix .argo-oss/');
      return raw;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_WORKFLOW_KEY_PREFIX',
    key: 'workflowKeyPrefix',
    description:
      "Key prefix (after ARGO_OSS_ARTIFACT_ROOT) a workflow owns: its pods may write under it, and download and GC treat it " +
      "as the workflow's. A template with {{workflow.namespace}} and {{workflow.name}}, ending in '/'; the namespace must " +
      'come first (the tenant boundary) unless ARGO_OSS_SINGLE_TENANT=true. Pair it with the Argo keyFormat ' +
      '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}.',
    default: DEFAULT_WORKFLOW_KEY_PREFIX,
    components: ['upload-coordinator', 'artifact-download', 'artifact-gc'],
    parse: (raw) => {
      try {
        // The namespace rule depends on ARGO_OSS_SINGLE_TENANT: checked in CONFIG_CHECKS.
        return checkWorkflowKeyTemplate(raw ?? DEFAULT_WORKFLOW_KEY_PREFIX, true);
      } catch (err) {
        throw new ConfigValueError((err as Error).message);
      }
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_SINGLE_TENANT',
    key: 'singleTenant',
    description:
      'true: the cluster has one tenant, so ARGO_OSS_WORKFLOW_KEY_PREFIX may lack {{workflow.namespace}} (legacy ' +
      '{{workflow.name}}/{{pod.name}} layouts). Namespaces then stop being a boundary: any workflow may read anything ' +
      'under the artifact root. Every function logs a warning at each start.',
    default: 'false',
    components: ['upload-coordinator', 'artifact-download', 'artifact-gc', 'local'],
    parse: bool(false),
  }),
  defineVariable({
    name: 'ARGO_OSS_UPLOADS_PER_WORKFLOW',
    key: 'uploadsPerWorkflow',
    description:
      'upload-coordinator: uploads one workflow may have open at once (started, neither completed nor aborted); a start ' +
      'past it answers 429 with Retry-After. Writer pods joining one upload count once.',
    default: '1000',
    components: ['upload-coordinator'],
    parse: intIn(1000, 1, 1_000_000),
  }),
  defineVariable({
    name: 'ARGO_OSS_UPLOAD_BYTES_PER_WORKFLOW',
    key: 'uploadBytesPerWorkflow',
    description:
      'upload-coordinator: bytes one workflow may have in flight, e.g. 100TiB or a byte count: the sum of the sizes of its ' +
      'open uploads (one of unknown size counts as its part size × 10,000, the most it can grow to). A start past it ' +
      'answers 429 with Retry-After.',
    default: '1000TiB',
    components: ['upload-coordinator'],
    parse: byteSize(DEFAULT_MAX_UPLOAD_BYTES),
  }),
  defineVariable({
    name: 'ARGO_OSS_PART_URL_TTL',
    key: 'partUrlTtlSeconds',
    description:
      'Lifetime in seconds of the presigned part URLs the coordinator hands out (1..604800). Clients re-sign on ' +
      'expiry; with STS credentials a URL also dies with the token.',
    default: '900',
    components: ['upload-coordinator'],
    parse: (raw) => {
      const n = Number(raw ?? '900');
      if (!Number.isInteger(n) || n < 1 || n > 604800) throw new ConfigValueError(`${JSON.stringify(raw)} must be an integer in 1..604800 (7 days)`);
      return n;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_AUTH_CACHE_SECONDS',
    key: 'authCacheSeconds',
    description:
      'How long a successful token check (TokenReview + pod lookup) is reused within one instance, sparing the ' +
      'API server a review per sign batch. 0 disables the cache.',
    default: '30',
    components: ['upload-coordinator', 'artifact-download'],
    parse: (raw) => {
      const n = Number(raw ?? '30');
      if (!Number.isInteger(n) || n < 0 || n > 3600) throw new ConfigValueError(`${JSON.stringify(raw)} must be an integer in 0..3600`);
      return n;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_SERVED_ENDPOINTS',
    key: 'servedEndpoints',
    description:
      'Comma-separated OSS endpoints that artifact locations in workflows may name (scheme optional; oss-<region> and ' +
      'oss-<region>-internal are the same). Locations naming another endpoint or bucket are refused; the functions ' +
      'always connect to OSS_ENDPOINT themselves.',
    default: 'OSS_ENDPOINT and the public/internal endpoints of OSS_REGION',
    components: ['artifact-download', 'artifact-gc'],
    parse: (raw) => list(raw),
  }),
  defineVariable({
    name: 'ARGO_OSS_PLUGIN_NAME',
    key: 'pluginName',
    description:
      "Name of the argo-oss artifact plugin in Argo's artifactDrivers. Artifacts stored through a plugin " +
      '(`plugin: {key}`) are served and reclaimed only when their plugin has this name and its configuration names ' +
      'the served bucket and endpoint; other plugins are left alone.',
    default: DEFAULT_PLUGIN_NAME,
    components: ['artifact-download', 'artifact-gc'],
    parse: (raw) => {
      const name = raw ?? DEFAULT_PLUGIN_NAME;
      if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) throw new ConfigValueError(`${JSON.stringify(raw)} must be a DNS label (Argo names the plugin's container and volume after it)`);
      return name;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_DOWNLOAD_MODE',
    key: 'downloadMode',
    description: "artifact-download: 'stream' sends the bytes through the function; 'redirect' answers 302 to a short-lived presigned OSS URL (also per request with ?redirect=true).",
    default: 'stream',
    components: ['artifact-download'],
    parse: oneOf(['stream', 'redirect'] as const, 'stream'),
  }),
  defineVariable({
    name: 'ARGO_OSS_DOWNLOAD_URL_TTL',
    key: 'downloadUrlTtlSeconds',
    description: 'artifact-download: lifetime in seconds of the presigned OSS URL a redirect points to (1..3600).',
    default: '300',
    components: ['artifact-download'],
    parse: intIn(300, 1, 3600),
  }),
  defineVariable({
    name: 'ARGO_OSS_SHARE_SECRET',
    key: 'shareSecret',
    description: 'artifact-download: HMAC key for share links (POST /share); at least 32 characters. Unset: share links are disabled.',
    components: ['artifact-download'],
    secret: true,
    parse: (raw) => {
      if (raw !== undefined && raw.length < 32) throw new ConfigValueError('must be at least 32 characters');
      return raw;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_SHARE_MAX_TTL',
    key: 'shareMaxTtlSeconds',
    description: 'artifact-download: the longest lifetime in seconds a share link may ask for (60..604800).',
    default: '86400',
    components: ['artifact-download'],
    parse: intIn(86400, 60, 604800),
  }),
  defineVariable({
    name: 'ARGO_OSS_TGZ_MAX_BYTES',
    key: 'tgzMaxBytes',
    description:
      'artifact-download: decompressed bytes one request may inflate inside a .tgz artifact (a listing, or a member ' +
      'and everything before it), 1 MiB..1 TiB; past it the request fails with 422 ArchiveTooLarge. Bounds the CPU a ' +
      'small, highly compressed archive can cost; the archive itself (?download=raw) is never limited.',
    default: String(TGZ_MAX_BYTES_DEFAULT),
    components: ['artifact-download'],
    parse: intIn(TGZ_MAX_BYTES_DEFAULT, 1024 ** 2, 1024 ** 4),
  }),
  defineVariable({
    name: 'ARGO_OSS_TGZ_MAX_ENTRIES',
    key: 'tgzMaxEntries',
    description:
      'artifact-download: entries one request may scan inside a .tgz artifact (listed, or passed over before the ' +
      'wanted member), 1..10000000; past it the request fails with 422 ArchiveTooLarge.',
    default: String(TGZ_MAX_ENTRIES_DEFAULT),
    components: ['artifact-download'],
    parse: intIn(TGZ_MAX_ENTRIES_DEFAULT, 1, 10_000_000),
  }),
  defineVariable({
    name: 'ARGO_OSS_CONTENT_SECURITY_POLICY',
    key: 'contentSecurityPolicy',
    description: 'artifact-download: Content-Security-Policy sent with every artifact (Argo Server\'s default).',
    default: "sandbox allow-same-origin; base-uri 'none'; default-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'",
    components: ['artifact-download'],
    parse: (raw) => raw ?? "sandbox allow-same-origin; base-uri 'none'; default-src 'none'; img-src 'self'; style-src 'self' 'unsafe-inline'",
  }),
  defineVariable({
    name: 'ARGO_OSS_X_FRAME_OPTIONS',
    key: 'xFrameOptions',
    description: 'artifact-download: X-Frame-Options sent with every artifact.',
    default: 'SAMEORIGIN',
    components: ['artifact-download'],
    parse: (raw) => raw ?? 'SAMEORIGIN',
  }),
  defineVariable({
    name: 'ARGO_OSS_FOLDER_DOWNLOAD_MAX_ENTRIES',
    key: 'folderDownloadMaxEntries',
    description:
      'artifact-download: the most files "Download folder" (a directory streamed as .zip or .tar.gz, ?download=zip|tgz) puts in one archive (1..1000000); a larger folder answers 413 FolderTooLarge before any byte is sent.',
    default: '10000',
    components: ['artifact-download'],
    parse: intIn(10_000, 1, 1_000_000),
  }),
  defineVariable({
    name: 'ARGO_OSS_FOLDER_DOWNLOAD_MAX_BYTES',
    key: 'folderDownloadMaxBytes',
    description:
      'artifact-download: the largest total size of the files "Download folder" puts in one archive, e.g. 10GiB, 500MB or a byte count; a larger folder answers 413 FolderTooLarge before any byte is sent.',
    default: '10GiB',
    components: ['artifact-download'],
    parse: byteSize(10 * 1024 ** 3),
  }),
  defineVariable({
    name: 'ARGO_OSS_GC_WHEN',
    key: 'gcWhen',
    description:
      "artifact-gc: bucket-wide default for which completed workflows are reclaimed: Always, Succeeded or Failed. A workflow's " +
      'argo-oss-artifacts/gc-when annotation overrides it.',
    default: 'Always',
    components: ['artifact-gc'],
    parse: (raw) => {
      const v = raw ?? 'Always';
      const match = (['Always', 'Succeeded', 'Failed'] as const).find((w) => w.toLowerCase() === v.toLowerCase());
      if (!match) throw new ConfigValueError(`${JSON.stringify(raw)} must be one of Always, Succeeded, Failed`);
      return match;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_GC_DELAY',
    key: 'gcDelaySeconds',
    description:
      "artifact-gc: bucket-wide default delay between a workflow's completion (or deletion) and reclaiming its artifacts, " +
      "e.g. 24h or 7d. A workflow's argo-oss-artifacts/gc-delay annotation overrides it.",
    default: '0s',
    components: ['artifact-gc'],
    parse: (raw) => {
      if (raw === undefined) return 0;
      const s = parseDurationSeconds(raw);
      if (s === undefined || s > 366 * 86400) throw new ConfigValueError(`${JSON.stringify(raw)} must be a duration such as 90m, 24h or 7d (at most 366d)`);
      return s;
    },
  }),
  defineVariable({
    name: 'ARGO_OSS_GC_DRY_RUN',
    key: 'gcDryRun',
    description: 'artifact-gc: plan and audit, delete nothing.',
    default: 'false',
    components: ['artifact-gc', 'cli'],
    parse: bool(false),
  }),
  defineVariable({
    name: 'ARGO_OSS_GC_MARK_DELETED',
    key: 'gcMarkDeleted',
    description: "artifact-gc: after deleting, merge-patch `deleted: true` into the workflow's status so the Argo UI shows it (needs RBAC to patch workflows; skipped with a warning without it).",
    default: 'true',
    components: ['artifact-gc'],
    parse: bool(true),
  }),
  defineVariable({
    name: 'ARGO_OSS_GC_STALE_UPLOAD_HOURS',
    key: 'gcStaleUploadHours',
    description: 'artifact-gc reconcile: abort multipart uploads (and coordinator uploads) idle for longer than this many hours. 0 disables.',
    default: '48',
    components: ['artifact-gc', 'cli'],
    parse: intIn(48, 0, 24 * 366),
  }),
  defineVariable({
    name: 'ARGO_OSS_LIFECYCLE_RULES',
    key: 'lifecycleRulesFile',
    description: 'artifact-gc reconcile: path of a lifecycle rules YAML file (the format of `argo-oss lifecycle apply --config`) to keep applied. Unset: lifecycle rules are left alone.',
    components: ['artifact-gc'],
    parse: optionalString,
  }),
  defineVariable({
    name: 'ARGO_OSS_GC_TRUST_WORKFLOW_EVENTS',
    key: 'gcTrustWorkflowEvents',
    description:
      'artifact-gc: act on whole-Workflow CloudEvents (argo-oss-artifacts.workflow.*, Argo Events resource events) as the ' +
      "workflow's state, as sent. Default false: such an event only names a workflow, which is re-read from the cluster " +
      '(namespace/name, uid compared). Set true only when every principal that can publish to the event bus may delete ' +
      'any workflow\'s artifacts, or when GC has no cluster access.',
    default: 'false',
    components: ['artifact-gc', 'cli'],
    parse: bool(false),
  }),
  defineVariable({
    name: 'ARGO_OSS_GC_NAMESPACES',
    key: 'gcNamespaces',
    description: 'artifact-gc: comma-separated namespaces whose workflows are handled. Empty: all namespaces.',
    default: '(empty: all)',
    components: ['artifact-gc'],
    parse: (raw) => list(raw),
  }),
  LISTEN_PORT,
  defineVariable({
    name: 'ARGO_OSS_COORDINATOR',
    key: 'uploadCoordinatorUrl',
    description: 'argo-oss upload: URL of the upload coordinator (the --coordinator default).',
    components: ['cli'],
    parse: optionalString,
  }),
  defineVariable({
    name: 'ARGO_OSS_GATEWAY',
    key: 'localGatewayUrl',
    description: "The local stack's function gateway URL (argo-oss local writes it to local.env): argo-oss doctor checks the download and GC functions there by default.",
    components: ['cli', 'local'],
    parse: optionalString,
  }),
  defineVariable({
    name: 'ARGO_OSS_TOKEN',
    key: 'uploadToken',
    description: 'argo-oss upload and argo-oss plugin: bearer token for the coordinator (the --token default); argo-oss local writes its admin token here.',
    components: ['cli', 'local'],
    secret: true,
    parse: optionalString,
  }),
  defineVariable({
    name: 'ARGO_OSS_TOKEN_FILE',
    key: 'uploadTokenFile',
    description: "argo-oss upload and argo-oss plugin: file holding the bearer token, re-read as the kubelet rotates it (the --token-file default; the plugin prefers it to ARGO_OSS_TOKEN).",
    default: '/var/run/secrets/kubernetes.io/serviceaccount/token when it exists',
    components: ['cli'],
    parse: optionalString,
  }),
] as const;

type AnyVariable = ConfigVariable<string, unknown>;

/** The loaded configuration: one property per declared variable, typed by its parser. */
export type ConfigOf<V extends readonly AnyVariable[]> = {
  readonly [E in V[number] as E['key']]: ReturnType<E['parse']>;
};
export type Config = ConfigOf<typeof CONFIG_VARIABLES>;

/** Cross-variable rule: returns the issues it finds in the already-parsed values. */
export type ConfigCheck<C> = (config: Partial<C>, env: Env) => ConfigIssue[];

function pair<C>(a: string, ka: keyof C, b: string, kb: keyof C, token?: [string, keyof C]): ConfigCheck<C> {
  return (c) => {
    const hasA = c[ka] !== undefined;
    const hasB = c[kb] !== undefined;
    const issues: ConfigIssue[] = [];
    if (hasA !== hasB) {
      const [set, missing] = hasA ? [a, b] : [b, a];
      issues.push({ variable: missing, message: `is not set but ${set} is: set both ${a} and ${b}, or neither` });
    }
    if (token && c[token[1]] !== undefined && !hasA && !hasB) {
      issues.push({ variable: token[0], message: `is set without ${a} and ${b}` });
    }
    return issues;
  };
}

export const CONFIG_CHECKS: readonly ConfigCheck<Config>[] = [
  pair('OSS_ACCESS_KEY_ID', 'ossAccessKeyId', 'OSS_ACCESS_KEY_SECRET', 'ossAccessKeySecret', [
    'OSS_SECURITY_TOKEN',
    'ossSecurityToken',
  ]),
  pair('ALIBABA_CLOUD_ACCESS_KEY_ID', 'alibabaCloudAccessKeyId', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'alibabaCloudAccessKeySecret', [
    'ALIBABA_CLOUD_SECURITY_TOKEN',
    'alibabaCloudSecurityToken',
  ]),
  // The server + token way of reaching the cluster needs both halves.
  (c) =>
    c.kubeServer !== undefined && c.kubeToken === undefined
      ? [{ variable: 'ARGO_OSS_KUBE_TOKEN', message: 'is not set but ARGO_OSS_KUBE_SERVER is' }]
      : c.kubeServer === undefined && (c.kubeToken !== undefined || c.kubeCaBase64 !== undefined)
        ? [{ variable: 'ARGO_OSS_KUBE_SERVER', message: 'is not set but ARGO_OSS_KUBE_TOKEN/ARGO_OSS_KUBE_CA_BASE64 is' }]
        : [],
  // Without the single-tenant switch, the workflow prefix must put the namespace first.
  (c) => {
    if (c.workflowKeyPrefix === undefined || c.singleTenant !== false) return [];
    try {
      checkWorkflowKeyTemplate(c.workflowKeyPrefix, false);
      return [];
    } catch (err) {
      return [{ variable: 'ARGO_OSS_WORKFLOW_KEY_PREFIX', message: (err as Error).message }];
    }
  },
  // A bucket-qualified endpoint would be prefixed again by the SDK (bucket.bucket.oss-...).
  (c) =>
    c.ossBucket && c.ossEndpoint && new URL(c.ossEndpoint).hostname.startsWith(`${c.ossBucket}.`)
      ? [{ variable: 'OSS_ENDPOINT', message: `must be the region endpoint, not the bucket host ${new URL(c.ossEndpoint).hostname}` }]
      : [],
];

// ---------------------------------------------------------------------------------------------
// Loader

/**
 * Parses `vars` from `env`, collecting every problem before throwing one ConfigError.
 * Generic so a component can load its own extra declarations the same way.
 */
export function parseVariables<V extends readonly AnyVariable[]>(
  vars: V,
  env: Env,
  checks: readonly ConfigCheck<ConfigOf<V>>[] = [],
): ConfigOf<V> {
  const out: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const v of vars) {
    try {
      out[v.key] = v.parse(trimmed(env, v.name), env);
    } catch (err) {
      if (!(err instanceof ConfigValueError)) throw err;
      issues.push({ variable: v.name, message: err.message });
    }
  }
  const partial = out as Partial<ConfigOf<V>>;
  for (const check of checks) issues.push(...check(partial, env));
  if (issues.length > 0) throw new ConfigError(issues);
  return out as ConfigOf<V>;
}

/** Loads and validates the whole configuration; throws ConfigError listing every invalid variable. */
export function loadConfig(env: Env = process.env): Config {
  return parseVariables(CONFIG_VARIABLES, env, CONFIG_CHECKS);
}

/** Declarations read by one component (for docs and `argo-oss ... --help`). */
export function variablesFor(component: Component): readonly ConfigVariable[] {
  return CONFIG_VARIABLES.filter((v) => (v.components as readonly Component[]).includes(component));
}

/**
 * Warnings every function logs at each start (cold start, `argo-oss local`): settings that are valid
 * but weaken a guarantee.
 */
export function startupWarnings(config: Pick<Config, 'singleTenant' | 'workflowKeyPrefix'>): string[] {
  return config.singleTenant
    ? [
        `WARNING: ARGO_OSS_SINGLE_TENANT=true: namespaces are not a tenant boundary (workflow key prefix ${config.workflowKeyPrefix}); ` +
          'any workflow may read every artifact under the artifact root. Use it only for a cluster with one tenant (docs/security.md).',
      ]
    : [];
}

/** The artifact-download listen port alone (FC_CUSTOM_LISTEN_PORT, FC_SERVER_PORT, 9000; 0 stays 0), for when loadConfig fails. */
export function listenPort(env: Env): number {
  try {
    return parseVariables([LISTEN_PORT], env).listenPort;
  } catch {
    return 9000; // an unreadable port: FC's default, where its health check looks
  }
}

/** True when the process runs inside Function Compute (FC sets FC_REGION). */
export function isRunningInFc(config: Pick<Config, 'fcRegion'>): boolean {
  return config.fcRegion !== undefined;
}

/** Config with secret values masked, safe to log. */
export function redactConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const v of CONFIG_VARIABLES) {
    if ('secret' in v && v.secret && out[v.key] !== undefined) out[v.key] = '***';
  }
  return out;
}

/** OSS_* / ALIBABA_CLOUD_* variables present in env but not declared: likely typos. */
export function unknownVariables(env: Env, vars: readonly AnyVariable[] = CONFIG_VARIABLES): string[] {
  const known = new Set(vars.map((v) => v.name));
  return Object.keys(env)
    .filter((k) => /^(OSS|ALIBABA_CLOUD|ARGO_OSS)_/.test(k) && !known.has(k))
    .sort();
}
