import { LOCAL_DEFAULT_BUCKET, LOCAL_DEFAULT_CREDENTIALS, LOCAL_DEFAULT_REGION } from './defaults';

export interface LocalCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

/**
 * Credentials the local OSS server accepts: OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET (both or neither;
 * the documented local defaults when unset), plus OSS_SECURITY_TOKEN to make it demand an STS token.
 */
export function localCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalCredential {
  const id = env.OSS_ACCESS_KEY_ID?.trim();
  const secret = env.OSS_ACCESS_KEY_SECRET?.trim();
  if (!id !== !secret) {
    throw new Error(
      `${id ? 'OSS_ACCESS_KEY_SECRET' : 'OSS_ACCESS_KEY_ID'} is not set: set both OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or neither for the local defaults`,
    );
  }
  const token = env.OSS_SECURITY_TOKEN?.trim();
  return {
    accessKeyId: id || LOCAL_DEFAULT_CREDENTIALS.accessKeyId,
    accessKeySecret: secret || LOCAL_DEFAULT_CREDENTIALS.accessKeySecret,
    ...(token ? { securityToken: token } : {}),
  };
}

export function localRegionFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const region = (env.OSS_REGION?.trim() || LOCAL_DEFAULT_REGION).replace(/^oss-/, '');
  if (!/^[a-z]{2,}-[a-z0-9-]+$/.test(region)) throw new Error(`OSS_REGION is not a region id like cn-hangzhou: ${JSON.stringify(region)}`);
  return region;
}

export function localBucketFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return env.OSS_BUCKET?.trim() || LOCAL_DEFAULT_BUCKET;
}
