// What every RPC needs before it can act: the artifact's key, the plugin configuration parsed from
// `artifact.plugin.configuration`, the caller's token (re-read per call) and a coordinator client.
import { existsSync } from 'node:fs';
import { parsePluginConfiguration, PluginConfigurationError, type PluginConfiguration } from '../../shared/argo/plugin-config';
import { CoordinatorClient, CoordinatorError, type TokenSource } from '../../shared/upload/client';
import { SERVICE_ACCOUNT_TOKEN_FILE, tokenFromFile } from '../upload/token';
import type { Artifact } from './proto';

/** gRPC status codes we answer with (grpc-js `status`). */
export const Code = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** A failed RPC: a message for Argo's logs and the gRPC status it maps to. */
export class PluginError extends Error {
  override name = 'PluginError';
  constructor(
    message: string,
    readonly code: number = Code.INTERNAL,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface CallContext {
  key: string;
  /** The key ended in '/': Argo (or the user) named a directory. */
  directoryHint: boolean;
  config: PluginConfiguration;
  token: TokenSource;
  client: CoordinatorClient;
}

export interface ContextOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/**
 * The token for this call: ARGO_OSS_TOKEN_FILE, else ARGO_OSS_TOKEN, else the pod's service-account
 * token file. A file is read again whenever it changes (the kubelet rotates projected tokens).
 */
export function callerToken(env: NodeJS.ProcessEnv = process.env): TokenSource {
  if (env.ARGO_OSS_TOKEN_FILE) return tokenFromFile(env.ARGO_OSS_TOKEN_FILE);
  if (env.ARGO_OSS_TOKEN) return env.ARGO_OSS_TOKEN;
  if (existsSync(SERVICE_ACCOUNT_TOKEN_FILE)) return tokenFromFile(SERVICE_ACCOUNT_TOKEN_FILE);
  throw new PluginError(
    `no token for the coordinator: set ARGO_OSS_TOKEN_FILE or ARGO_OSS_TOKEN, or run in a pod with a service-account token (${SERVICE_ACCOUNT_TOKEN_FILE})`,
    Code.UNAUTHENTICATED,
  );
}

/** Validates the artifact and builds the per-call context; throws PluginError (INVALID_ARGUMENT) naming the field. */
export function callContext(artifact: Artifact | null | undefined, field: string, options: ContextOptions = {}): CallContext {
  const plugin = artifact?.plugin;
  if (!plugin) throw new PluginError(`${field}.plugin is required (the artifact's plugin location)`, Code.INVALID_ARGUMENT);
  let config: PluginConfiguration;
  try {
    config = parsePluginConfiguration(plugin.configuration);
  } catch (err) {
    if (err instanceof PluginConfigurationError) throw new PluginError(`${field}.plugin.configuration: ${err.message.replace(/^plugin configuration: /, '')}`, Code.INVALID_ARGUMENT);
    throw err;
  }
  const raw = plugin.key ?? '';
  const key = raw.replace(/\/+$/, '');
  if (key === '') throw new PluginError(`${field}.plugin.key is required (the object key)`, Code.INVALID_ARGUMENT);
  const token = callerToken(options.env);
  const log = options.log;
  const client = new CoordinatorClient({
    url: config.coordinator,
    token,
    signal: options.signal,
    userAgent: 'argo-oss-plugin',
    ...(log ? { onRetry: ({ operation, attempt, delayMs, error }) => log(`coordinator ${operation}: ${error.message}; retry ${attempt} in ${delayMs} ms`) } : {}),
  });
  return { key, directoryHint: raw !== key, config, token, client };
}

/** A coordinator failure as a PluginError with the matching gRPC status. */
export function fromCoordinator(err: unknown, what: string): unknown {
  if (!(err instanceof CoordinatorError)) return err;
  const code =
    err.status === 404
      ? Code.NOT_FOUND
      : err.status === 403
        ? Code.PERMISSION_DENIED
        : err.status === 401
          ? Code.UNAUTHENTICATED
          : err.status === 400 || err.status === 413 || err.status === 415
            ? Code.INVALID_ARGUMENT
            : err.status === 409
              ? Code.FAILED_PRECONDITION
              : Code.UNAVAILABLE;
  const status = err.status ? `${err.status} ${err.code}` : err.code;
  return new PluginError(`${what}: the coordinator answered ${status}: ${err.message}`, code, { cause: err });
}
