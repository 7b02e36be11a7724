import { describe, expect, it } from 'vitest';
import {
  COMPONENTS,
  CONFIG_VARIABLES,
  ConfigError,
  ConfigValueError,
  defineVariable,
  isRunningInFc,
  listenPort,
  loadConfig,
  normalizeRegion,
  parseVariables,
  redactConfig,
  startupWarnings,
  unknownVariables,
  variablesFor,
} from '../shared/config';

function issuesOf(env: Record<string, string>): ConfigError['issues'] {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('uses the documented defaults outside FC', () => {
    const c = loadConfig({});
    expect(c.ossRegion).toBe('cn-hangzhou');
    expect(c.ossEndpoint).toBe('https://oss-cn-hangzhou.aliyuncs.com');
    expect(c.ossPublicEndpoint).toBe('https://oss-cn-hangzhou.aliyuncs.com');
    expect(c.ossBucket).toBe('argo-artifacts');
    expect(c.ossAddressing).toBe('auto');
    expect(c.ossAccessKeyId).toBeUndefined();
    expect(c.fcRegion).toBeUndefined();
    expect(isRunningInFc(c)).toBe(false);
  });

  it('normalises oss-<region> and derives the endpoint from the region', () => {
    const c = loadConfig({ OSS_REGION: 'oss-cn-shanghai' });
    expect(c.ossRegion).toBe('cn-shanghai');
    expect(c.ossEndpoint).toBe('https://oss-cn-shanghai.aliyuncs.com');
  });

  it('inside FC defaults to the function region and the internal endpoint, but presigns on the public one', () => {
    const c = loadConfig({ FC_REGION: 'cn-beijing', FC_ACCOUNT_ID: '123456', FC_FUNCTION_NAME: 'artifact-gc' });
    expect(isRunningInFc(c)).toBe(true);
    expect(c.ossRegion).toBe('cn-beijing');
    expect(c.ossEndpoint).toBe('https://oss-cn-beijing-internal.aliyuncs.com');
    expect(c.ossPublicEndpoint).toBe('https://oss-cn-beijing.aliyuncs.com');
    expect(c.fcFunctionName).toBe('artifact-gc');
  });

  it('does not use the internal endpoint for a bucket in another region', () => {
    const c = loadConfig({ FC_REGION: 'cn-beijing', OSS_REGION: 'cn-shanghai' });
    expect(c.ossEndpoint).toBe('https://oss-cn-shanghai.aliyuncs.com');
  });

  it('normalises an explicit endpoint to its origin and reuses it for presigning', () => {
    const c = loadConfig({ OSS_ENDPOINT: 'http://localhost:9100/' });
    expect(c.ossEndpoint).toBe('http://localhost:9100');
    expect(c.ossPublicEndpoint).toBe('http://localhost:9100');
    const d = loadConfig({ OSS_ENDPOINT: 'http://localhost:9100', OSS_PUBLIC_ENDPOINT: 'https://files.example.com' });
    expect(d.ossPublicEndpoint).toBe('https://files.example.com');
  });

  it('treats blank values as unset and trims', () => {
    const c = loadConfig({ OSS_BUCKET: '  ', OSS_REGION: ' cn-shenzhen ', OSS_ACCESS_KEY_ID: '', OSS_ACCESS_KEY_SECRET: '' });
    expect(c.ossBucket).toBe('argo-artifacts');
    expect(c.ossRegion).toBe('cn-shenzhen');
    expect(c.ossAccessKeyId).toBeUndefined();
  });

  it('accepts key pairs and STS tokens', () => {
    const c = loadConfig({
      OSS_ACCESS_KEY_ID: 'id',
      OSS_ACCESS_KEY_SECRET: 'secret',
      OSS_SECURITY_TOKEN: 'tok',
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.x',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'y',
      ALIBABA_CLOUD_SECURITY_TOKEN: 'z',
    });
    expect([c.ossAccessKeyId, c.ossAccessKeySecret, c.ossSecurityToken]).toEqual(['id', 'secret', 'tok']);
    expect(c.alibabaCloudSecurityToken).toBe('z');
  });
});

describe('loadConfig validation', () => {
  it.each([
    ['OSS_BUCKET', 'Bad_Bucket'],
    ['OSS_BUCKET', '-leading'],
    ['OSS_BUCKET', 'trailing-'],
    ['OSS_BUCKET', 'ab'],
    ['OSS_BUCKET', 'a'.repeat(64)],
    ['OSS_REGION', 'Hangzhou!'],
    ['OSS_REGION', 'hangzhou'],
    ['OSS_ENDPOINT', 'ftp://oss.example.com'],
    ['OSS_ENDPOINT', 'oss-cn-hangzhou.aliyuncs.com'],
    ['OSS_ENDPOINT', 'https://oss-cn-hangzhou.aliyuncs.com/some/path'],
    ['OSS_ENDPOINT', 'https://user:pw@oss-cn-hangzhou.aliyuncs.com'],
    ['OSS_PUBLIC_ENDPOINT', 'not a url'],
    ['OSS_ADDRESSING', 'sideways'],
    ['FC_ACCOUNT_ID', 'abc'],
  ])('rejects %s=%j naming the variable', (name, value) => {
    const issues = issuesOf({ [name]: value });
    expect(issues.map((i) => i.variable)).toEqual([name]);
    expect(issues[0].message.length).toBeGreaterThan(10);
  });

  it('accepts bucket names at the limits', () => {
    expect(loadConfig({ OSS_BUCKET: 'abc' }).ossBucket).toBe('abc');
    expect(loadConfig({ OSS_BUCKET: `a${'-'.repeat(61)}b` }).ossBucket).toHaveLength(63);
  });

  it('lists every invalid variable at once in the message', () => {
    try {
      loadConfig({ OSS_BUCKET: 'NO', OSS_REGION: '??', OSS_ENDPOINT: 'ftp://x', OSS_ACCESS_KEY_ID: 'id' });
      throw new Error('expected ConfigError');
    } catch (err) {
      const e = err as ConfigError;
      expect(e).toBeInstanceOf(ConfigError);
      expect(e.issues.map((i) => i.variable).sort()).toEqual(['OSS_ACCESS_KEY_SECRET', 'OSS_BUCKET', 'OSS_ENDPOINT', 'OSS_REGION']);
      for (const name of ['OSS_BUCKET', 'OSS_REGION', 'OSS_ENDPOINT', 'OSS_ACCESS_KEY_SECRET']) expect(e.message).toContain(name);
    }
  });

  it('requires both halves of a key pair', () => {
    expect(issuesOf({ OSS_ACCESS_KEY_SECRET: 's' }).map((i) => i.variable)).toEqual(['OSS_ACCESS_KEY_ID']);
    expect(issuesOf({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'i' }).map((i) => i.variable)).toEqual(['ALIBABA_CLOUD_ACCESS_KEY_SECRET']);
    expect(issuesOf({ OSS_SECURITY_TOKEN: 't' }).map((i) => i.variable)).toEqual(['OSS_SECURITY_TOKEN']);
  });

  it('rejects a bucket-qualified endpoint', () => {
    const issues = issuesOf({ OSS_BUCKET: 'my-bucket', OSS_ENDPOINT: 'https://my-bucket.oss-cn-hangzhou.aliyuncs.com' });
    expect(issues.map((i) => i.variable)).toEqual(['OSS_ENDPOINT']);
  });

  it('namespaces keys by default; a prefix without the namespace needs ARGO_OSS_SINGLE_TENANT, which warns at every start', () => {
    const c = loadConfig({});
    expect(c.workflowKeyPrefix).toBe('{{workflow.namespace}}/{{workflow.name}}/');
    expect(c.singleTenant).toBe(false);
    expect(startupWarnings(c)).toEqual([]);
    for (const prefix of ['{{workflow.name}}/', 'runs/{{workflow.name}}/', '{{workflow.name}}/{{workflow.namespace}}/']) {
      const issues = issuesOf({ ARGO_OSS_WORKFLOW_KEY_PREFIX: prefix });
      expect(issues.map((i) => i.variable), prefix).toEqual(['ARGO_OSS_WORKFLOW_KEY_PREFIX']);
      expect(issues[0].message).toContain('ARGO_OSS_SINGLE_TENANT=true');
      const single = loadConfig({ ARGO_OSS_WORKFLOW_KEY_PREFIX: prefix, ARGO_OSS_SINGLE_TENANT: 'true' });
      expect(single.workflowKeyPrefix).toBe(prefix);
      expect(startupWarnings(single)).toEqual([expect.stringContaining('ARGO_OSS_SINGLE_TENANT=true')]);
    }
    expect(loadConfig({ ARGO_OSS_WORKFLOW_KEY_PREFIX: 'art/{{workflow.namespace}}/wf-{{workflow.name}}/' }).workflowKeyPrefix).toBe('art/{{workflow.namespace}}/wf-{{workflow.name}}/');
    // Malformed templates are refused in either mode.
    expect(issuesOf({ ARGO_OSS_WORKFLOW_KEY_PREFIX: '{{workflow.name}}', ARGO_OSS_SINGLE_TENANT: 'true' }).map((i) => i.variable)).toEqual(['ARGO_OSS_WORKFLOW_KEY_PREFIX']);
    expect(issuesOf({ ARGO_OSS_SINGLE_TENANT: 'maybe' }).map((i) => i.variable)).toEqual(['ARGO_OSS_SINGLE_TENANT']);
  });

  it('per-workflow upload limits: generous defaults, whole positive numbers', () => {
    const c = loadConfig({});
    expect(c.uploadsPerWorkflow).toBe(1000);
    expect(c.uploadBytesPerWorkflow).toBe(1000 * 2 ** 40);
    expect(loadConfig({ ARGO_OSS_UPLOADS_PER_WORKFLOW: '5', ARGO_OSS_UPLOAD_BYTES_PER_WORKFLOW: '1048576' })).toMatchObject({ uploadsPerWorkflow: 5, uploadBytesPerWorkflow: 1048576 });
    expect(issuesOf({ ARGO_OSS_UPLOADS_PER_WORKFLOW: '0', ARGO_OSS_UPLOAD_BYTES_PER_WORKFLOW: '1.5' }).map((i) => i.variable)).toEqual([
      'ARGO_OSS_UPLOADS_PER_WORKFLOW',
      'ARGO_OSS_UPLOAD_BYTES_PER_WORKFLOW',
    ]);
  });

  it('never echoes secrets in errors', () => {
    const issues = issuesOf({ OSS_ACCESS_KEY_SECRET: 'super-secret-value' });
    expect(JSON.stringify(issues)).not.toContain('super-secret-value');
  });
});

describe('declarations', () => {
  it('declares each variable once with documentation and readers', () => {
    const names = CONFIG_VARIABLES.map((v) => v.name);
    const keys = CONFIG_VARIABLES.map((v) => v.key);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(keys).size).toBe(keys.length);
    for (const v of CONFIG_VARIABLES) {
      expect(v.name).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(v.description.length).toBeGreaterThan(20);
      expect(v.components.length).toBeGreaterThan(0);
      for (const c of v.components) expect(COMPONENTS).toContain(c);
    }
    for (const required of [
      'OSS_ENDPOINT',
      'OSS_REGION',
      'OSS_BUCKET',
      'OSS_ACCESS_KEY_ID',
      'OSS_ACCESS_KEY_SECRET',
      'FC_REGION',
      'FC_ACCOUNT_ID',
      'FC_FUNCTION_NAME',
      'ALIBABA_CLOUD_ACCESS_KEY_ID',
      'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
      'ALIBABA_CLOUD_SECURITY_TOKEN',
    ]) {
      expect(names).toContain(required);
    }
  });

  it('filters by component', () => {
    const gc = variablesFor('artifact-gc').map((v) => v.name);
    expect(gc).toContain('OSS_BUCKET');
    expect(gc).toContain('FC_REGION');
    expect(variablesFor('local').map((v) => v.name)).not.toContain('FC_REGION');
  });

  it('is extendable by adding declarations', () => {
    const extra = [
      defineVariable({
        name: 'UPLOAD_URL_TTL_SECONDS',
        key: 'uploadUrlTtlSeconds',
        description: 'Lifetime of presigned part URLs in seconds.',
        default: '900',
        components: ['upload-coordinator'],
        parse: (raw) => {
          const n = Number(raw ?? '900');
          if (!Number.isInteger(n) || n < 1) throw new ConfigValueError(`${JSON.stringify(raw)} must be a positive integer`);
          return n;
        },
      }),
    ] as const;
    const all = [...CONFIG_VARIABLES, ...extra] as const;
    const c = parseVariables(all, { UPLOAD_URL_TTL_SECONDS: '300' });
    const ttl: number = c.uploadUrlTtlSeconds;
    expect(ttl).toBe(300);
    expect(c.ossBucket).toBe('argo-artifacts');
    expect(() => parseVariables(all, { UPLOAD_URL_TTL_SECONDS: 'x' })).toThrow(/UPLOAD_URL_TTL_SECONDS/);
  });

  it('redacts secrets and spots likely typos', () => {
    const c = loadConfig({ OSS_ACCESS_KEY_ID: 'id', OSS_ACCESS_KEY_SECRET: 'sec' });
    const r = redactConfig(c);
    expect(r.ossAccessKeySecret).toBe('***');
    expect(r.ossAccessKeyId).toBe('id');
    expect(unknownVariables({ OSS_BUCKT: 'x', OSS_BUCKET: 'y', PATH: '/bin' })).toEqual(['OSS_BUCKT']);
  });

  it('the web function listen port: FC_CUSTOM_LISTEN_PORT, else FC_SERVER_PORT, else 9000; 0 stays 0', () => {
    expect(loadConfig({}).listenPort).toBe(9000);
    expect(loadConfig({ FC_SERVER_PORT: '9100' }).listenPort).toBe(9100);
    expect(loadConfig({ FC_SERVER_PORT: '9100', FC_CUSTOM_LISTEN_PORT: '9200' }).listenPort).toBe(9200);
    expect(loadConfig({ FC_CUSTOM_LISTEN_PORT: '0', FC_SERVER_PORT: '9100' }).listenPort).toBe(0);
    expect(loadConfig({ FC_SERVER_PORT: '0' }).listenPort).toBe(0);
    expect(() => loadConfig({ FC_SERVER_PORT: 'x' })).toThrow(/FC_CUSTOM_LISTEN_PORT: is unset and FC_SERVER_PORT/);
    // Without the rest of the configuration (the error path of the download function).
    expect(listenPort({ FC_SERVER_PORT: '0', OSS_BUCKET: 'Bad_Bucket' })).toBe(0);
    expect(listenPort({ FC_CUSTOM_LISTEN_PORT: '0', FC_SERVER_PORT: '9100' })).toBe(0);
    expect(listenPort({ FC_CUSTOM_LISTEN_PORT: 'nine' })).toBe(9000);
  });

  it('normalizeRegion', () => {
    expect(normalizeRegion('OSS-AP-SOUTHEAST-1')).toBe('ap-southeast-1');
    expect(() => normalizeRegion('oss-')).toThrow(ConfigValueError);
  });
});
