import { loadConfig, type Env } from '../shared/config';
import { LOCAL_DEFAULT_CREDENTIALS } from './defaults';

export interface LocalCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface LocalSettings {
  credential: LocalCredential;
  region: string;
  bucket: string;
  adminToken?: string;
}

/**
 * What `argo-oss local` and `argo-oss oss-server` take from the environment, validated by the shared
 * config: the credentials the server accepts (OSS_ACCESS_KEY_ID/SECRET, or the documented local
 * defaults; OSS_SECURITY_TOKEN makes it demand an STS token), OSS_REGION, OSS_BUCKET, ARGO_OSS_LOCAL_TOKEN.
 */
export function localSettingsFromEnv(env: Env = process.env): LocalSettings {
  const config = loadConfig(env);
  const credential: LocalCredential =
    config.ossAccessKeyId && config.ossAccessKeySecret
      ? { accessKeyId: config.ossAccessKeyId, accessKeySecret: config.ossAccessKeySecret }
      : { ...LOCAL_DEFAULT_CREDENTIALS };
  if (config.ossSecurityToken) credential.securityToken = config.ossSecurityToken;
  return { credential, region: config.ossRegion, bucket: config.ossBucket, adminToken: config.localAdminToken };
}
