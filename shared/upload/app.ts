// Wires config → OSS client + cluster client + coordinator + routes (/uploads and /objects). Shared by the FC function, the
// local stack and the tests; builds clients only (no I/O besides reading a KUBECONFIG file).
import { startupWarnings, type Config } from '../config';
import type { HttpHandler } from '../http/types';
import { KubeClient, kubeConfigFromConfig, type KubeAccessConfig } from '../k8s';
import type { FcContext } from '../http/fc';
import { createOssClientFromConfig, type OssAccessConfig, type OssClient } from '../oss';
import { ObjectService, registerObjectRoutes } from '../objects';
import { Authenticator } from './auth';
import { uploadRoutes } from './routes';
import { UploadCoordinator } from './service';

export type CoordinatorConfig = OssAccessConfig &
  KubeAccessConfig &
  Pick<
    Config,
    | 'tokenAudiences'
    | 'adminGroups'
    | 'artifactRoot'
    | 'workflowKeyPrefix'
    | 'singleTenant'
    | 'partUrlTtlSeconds'
    | 'authCacheSeconds'
    | 'uploadsPerWorkflow'
    | 'uploadBytesPerWorkflow'
  >;

export interface CoordinatorApp {
  handle: HttpHandler;
  oss: OssClient;
  kube: KubeClient;
  coordinator: UploadCoordinator;
  auth: Authenticator;
  close(): void;
}

export interface CoordinatorAppOptions {
  /** Use this OSS client (closed by the caller) instead of one from the config. */
  oss?: OssClient;
  kube?: KubeClient;
  fcContext?: FcContext | null;
  log?: (line: string) => void;
}

export function createCoordinatorApp(config: CoordinatorConfig, options: CoordinatorAppOptions = {}): CoordinatorApp {
  const log = options.log ?? ((line: string) => console.error(line));
  for (const w of startupWarnings(config)) log(w);
  const oss = options.oss ?? createOssClientFromConfig(config, { fcContext: options.fcContext ?? null });
  const kube = options.kube ?? new KubeClient(kubeConfigFromConfig(config).kubeConfig);
  const auth = new Authenticator(kube, {
    adminGroups: config.adminGroups,
    tokenAudiences: config.tokenAudiences,
    workflowKeyPrefix: config.workflowKeyPrefix,
    artifactRoot: config.artifactRoot,
    cacheSeconds: config.authCacheSeconds,
  });
  const coordinator = new UploadCoordinator(oss, {
    partUrlTtlSeconds: config.partUrlTtlSeconds,
    uploadsPerWorkflow: config.uploadsPerWorkflow,
    uploadBytesPerWorkflow: config.uploadBytesPerWorkflow,
  });
  const router = uploadRoutes(coordinator, auth, {
    artifactRoot: config.artifactRoot,
    onError: (err, req) => log(`upload-coordinator: ${req.method} ${req.path}: ${(err as Error)?.stack ?? String(err)}`),
  });
  // Reads, listings and deletes for callers without OSS keys (the artifact-driver plugin): /objects/…
  registerObjectRoutes(router, new ObjectService(oss, { artifactRoot: config.artifactRoot, urlTtlSeconds: config.partUrlTtlSeconds }), auth);
  return {
    handle: router.handle,
    oss,
    kube,
    coordinator,
    auth,
    close: () => {
      if (!options.oss) oss.close();
    },
  };
}
