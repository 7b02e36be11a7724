// The upload coordinator on the local gateway at /uploads and /objects, over the local OSS server and the local
// Kubernetes API: what `argo-oss upload` talks to when local.env is sourced.
import type { CoordinatorApp } from '../shared/upload/app';
import type { LocalFunctionAccess, Mount } from './gateway';

export type UploadCoordinatorMountOptions = LocalFunctionAccess;

/**
 * The upload coordinator wired to a local OSS server and Kubernetes API, as gateway mounts at /uploads
 * and /objects (one app behind both; `mount` is the /uploads one).
 * OSS and cluster access come from the arguments, never from the environment, so stray cloud
 * credentials or ARGO_OSS_KUBE_* variables cannot point the local stack elsewhere.
 */
export async function uploadCoordinatorMount(o: UploadCoordinatorMountOptions): Promise<{ mount: Mount; mounts: Mount[]; app: CoordinatorApp }> {
  // Loaded on demand: the CLI bundle that pods run (which includes this file for `argo-oss local`)
  // then does not evaluate ali-oss and client-node unless the local stack starts.
  const [{ loadConfig }, { toNodeListener }, { KubeClient, kubeConfigFromConfig }, { createOssClient }, { createCoordinatorApp }] = await Promise.all([
    import('../shared/config'),
    import('../shared/http/node'),
    import('../shared/k8s'),
    import('../shared/oss'),
    import('../shared/upload/app'),
  ]);
  const config = loadConfig({ ...(o.env ?? process.env), OSS_REGION: o.region, OSS_BUCKET: o.bucket });
  const oss = createOssClient({ bucket: o.bucket, region: o.region, endpoint: o.ossEndpoint, credentials: o.credential });
  const kube = new KubeClient(kubeConfigFromConfig({ kubeconfigPath: o.kubeconfigPath }).kubeConfig);
  const app = createCoordinatorApp(config, { oss, kube, ...(o.log ? { log: o.log } : {}) });
  const close = app.close;
  app.close = () => {
    close();
    oss.close();
  };
  const handler = toNodeListener(app.handle);
  const mount: Mount = { name: 'upload-coordinator', prefix: '/uploads', description: 'presigned multipart uploads (docs/upload.md)', handler };
  const objects: Mount = { name: 'upload-coordinator', prefix: '/objects', description: 'object stat / list / delete for the artifact-driver plugin (docs/plugin.md)', handler };
  return { app, mount, mounts: [mount, objects] };
}
