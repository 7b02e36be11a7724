// KubeConfig from configuration: server + token (like an in-cluster service account), a base64
// kubeconfig, or a kubeconfig file — in that order. Reads at most one file, and only when called.
import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, type Config } from '../config';

export type KubeAccessConfig = Partial<Pick<Config, 'kubeconfigPath' | 'kubeconfigText' | 'kubeServer' | 'kubeToken' | 'kubeCaBase64'>>;

export type KubeConfigSource = 'server-token' | 'kubeconfig-base64' | 'kubeconfig-file';

export function kubeConfigFromConfig(config: KubeAccessConfig): { kubeConfig: KubeConfig; source: KubeConfigSource } {
  const kc = new KubeConfig();
  if (config.kubeServer) {
    if (!config.kubeToken) throw new ConfigError([{ variable: 'ARGO_OSS_KUBE_TOKEN', message: 'is required with ARGO_OSS_KUBE_SERVER' }]);
    kc.loadFromClusterAndUser(
      {
        name: 'cluster',
        server: config.kubeServer,
        // client-node 1.x refuses plain http:// servers unless told to skip TLS checks; there is no TLS
        // to check there. https:// always verifies (against the given CA or the system roots).
        skipTLSVerify: config.kubeServer.startsWith('http:'),
        ...(config.kubeCaBase64 ? { caData: config.kubeCaBase64 } : {}),
      },
      { name: 'coordinator', token: config.kubeToken },
    );
    return { kubeConfig: kc, source: 'server-token' };
  }
  if (config.kubeconfigText) {
    kc.loadFromString(config.kubeconfigText);
    return { kubeConfig: kc, source: 'kubeconfig-base64' };
  }
  if (config.kubeconfigPath) {
    kc.loadFromFile(config.kubeconfigPath);
    return { kubeConfig: kc, source: 'kubeconfig-file' };
  }
  throw new ConfigError([
    {
      variable: 'ARGO_OSS_KUBE_SERVER',
      message: 'no way to reach the cluster: set ARGO_OSS_KUBE_SERVER + ARGO_OSS_KUBE_TOKEN, ARGO_OSS_KUBECONFIG_BASE64, or KUBECONFIG',
    },
  ]);
}
