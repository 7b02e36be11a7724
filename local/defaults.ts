// Documented defaults of the local stack. Loopback only: these are not secrets.
export const LOCAL_DEFAULT_CREDENTIALS = {
  accessKeyId: 'argo-oss-local',
  accessKeySecret: 'argo-oss-local-secret',
} as const;

export const LOCAL_DEFAULT_REGION = 'cn-hangzhou';
export const LOCAL_DEFAULT_BUCKET = 'argo-artifacts';

export const LOCAL_DEFAULT_PORTS = {
  gateway: 9000,
  oss: 9100,
  cluster: 9200,
} as const;
