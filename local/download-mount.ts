// The artifact download function on the local gateway: Argo Server's artifact routes over the local
// OSS server and the local Kubernetes API, so a Workflow manifest dropped into the cluster directory
// can be browsed at http://127.0.0.1:9000/artifact-files/... with a token from tokens.yaml.
import type { DownloadApp } from '../shared/download/app';
import type { LocalFunctionAccess, Mount } from './gateway';

export const DOWNLOAD_PREFIXES = ['/artifacts', '/input-artifacts', '/artifact-files', '/share'] as const;

export type DownloadMountOptions = LocalFunctionAccess & {
  /** The gateway's sign-in page, linked from the 401 page browsers get. */
  signInPath?: string;
};

/**
 * One app, mounted at each of the download prefixes. OSS and cluster access come from the arguments,
 * never from the environment, so stray cloud credentials cannot point the local stack elsewhere.
 */
export async function downloadMounts(o: DownloadMountOptions): Promise<{ mounts: Mount[]; app: DownloadApp }> {
  // Loaded on demand, like the coordinator: the CLI bundle pods run does not evaluate these otherwise.
  const [{ loadConfig, startupWarnings }, { kubeConfigFromConfig }, { createOssClient }, { createDownloadAppFromConfig }] = await Promise.all([
    import('../shared/config'),
    import('../shared/k8s'),
    import('../shared/oss'),
    import('../shared/download/app'),
  ]);
  const config = loadConfig({ ...(o.env ?? process.env), OSS_REGION: o.region, OSS_BUCKET: o.bucket, OSS_ENDPOINT: o.ossEndpoint });
  for (const w of startupWarnings(config)) o.log?.(w);
  const oss = createOssClient({ bucket: o.bucket, region: o.region, endpoint: o.ossEndpoint, credentials: o.credential, maxSockets: 256 });
  const { kubeConfig } = kubeConfigFromConfig({ kubeconfigPath: o.kubeconfigPath });
  const app = createDownloadAppFromConfig(config, { oss, kubeConfig, ...(o.log ? { log: o.log } : {}), ...(o.signInPath ? { signInPath: o.signInPath } : {}) });
  const handler = app.handle;
  const wrapped: DownloadApp = {
    handle: handler,
    close: () => {
      app.close();
      oss.close();
    },
  };
  const descriptions: Record<(typeof DOWNLOAD_PREFIXES)[number], string> = {
    '/artifacts': "artifact download, Argo Server's /artifacts/{ns}/{wf}/{node}/{artifact}",
    '/input-artifacts': 'input artifact download, /input-artifacts/{ns}/{wf}/{node}/{artifact}',
    '/artifact-files': 'artifact files, listings and .tgz members, /artifact-files/{ns}/workflows/{wf}/{node}/{inputs|outputs}/{artifact}/…',
    '/share': 'POST /share: signed share links for one artifact',
  };
  const mounts = DOWNLOAD_PREFIXES.map((prefix) => ({ name: 'artifact-download', prefix, description: descriptions[prefix], handler }));
  return { mounts, app: wrapped };
}
