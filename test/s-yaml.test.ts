// s.yaml as Serverless Devs reads it: resolved by the real `s preview -o json` (@serverless-devs/s, a
// devDependency; offline: ${vars}, ${env()} and expressions as `s` evaluates them; ${config('AccountID')}
// is left for the credentials and filled in here), then each fc3 function's props validated against the
// fc3 component's JSON schema (the subset in test/fixtures/fc3/props-schema.json, origin noted there),
// and held to FC's limits with the same checks `npm run deploy` makes (scripts/deploy/checks.ts).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployProblems, endpointsOf, environmentBytes, FC_ENV_LIMIT_BYTES, fc3Functions, formatEndpoints, stagePackageFiles } from '../scripts/deploy/checks';
import { loadConfig, variablesFor, type Component } from '../shared/config';
import { parseGcPayload } from '../shared/gc/events';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = join(import.meta.dirname, '..');
const ACCOUNT = '1234567890123456';
let home: string;

/** `s preview -o json` of s.yaml with exactly `env` (plus PATH), and the account id filled in. */
async function preview(env: Record<string, string> = {}): Promise<Json> {
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/@serverless-devs/s/bin/s'), 'preview', '-o', 'json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: home, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d));
    child.stderr.on('data', (d: Buffer) => (text += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && text.includes('{') ? resolve(text) : reject(new Error(`s preview exited ${code}:\n${text}`))));
  });
  const json = out.slice(out.indexOf('{')).replaceAll("${config('AccountID')}", ACCOUNT);
  expect(json, 'nothing else is left unresolved').not.toMatch(/\$\{/);
  return JSON.parse(json) as Json;
}

const jwt = () => ['eyJhbGciOiJSUzI1NiIsImtpZCI6Ik', randomBytes(450).toString('base64url'), randomBytes(256).toString('base64url')].join('.');
const REALISTIC: Record<string, string> = {
  OSS_REGION: 'cn-shanghai',
  OSS_BUCKET: 'ml-platform-artifacts-prod',
  OSS_ENDPOINT: 'https://oss-cn-shanghai-internal.aliyuncs.com',
  OSS_PUBLIC_ENDPOINT: 'https://oss-cn-shanghai.aliyuncs.com',
  ARGO_OSS_FC_ROLE: 'ml-platform-argo-oss-functions',
  ARGO_OSS_VPC_ID: 'vpc-uf6f7l4fg90xxxxxxxxxx',
  ARGO_OSS_VSWITCH_IDS: 'vsw-uf6d2vbxxxxxxxxxxxxxx,vsw-uf6h8kkxxxxxxxxxxxxxx',
  ARGO_OSS_SECURITY_GROUP_ID: 'sg-uf6bvt5xxxxxxxxxxxxx',
  ARGO_OSS_KUBECONFIG_FILE: '/home/ops/.kube/argo-oss-functions.yaml',
  ARGO_OSS_LIFECYCLE_RULES_FILE: '/home/ops/argo-oss/lifecycle-rules.yaml',
  ARGO_OSS_GC_DLQ_QUEUE: 'argo-oss-gc-dead-letters',
  ARGO_OSS_ADMIN_GROUPS: 'system:masters,ml-platform-admins',
  ARGO_OSS_ARTIFACT_ROOT: 'argo/artifacts/',
  ARGO_OSS_WORKFLOW_KEY_PREFIX: '{{workflow.namespace}}/{{workflow.name}}/',
  ARGO_OSS_PART_URL_TTL: '1800',
  ARGO_OSS_AUTH_CACHE_SECONDS: '60',
  ARGO_OSS_SERVED_ENDPOINTS: 'oss-cn-shanghai.aliyuncs.com,oss-cn-shanghai-internal.aliyuncs.com',
  ARGO_OSS_DOWNLOAD_MODE: 'stream',
  ARGO_OSS_DOWNLOAD_URL_TTL: '600',
  ARGO_OSS_SHARE_SECRET: randomBytes(36).toString('base64'),
  ARGO_OSS_SHARE_MAX_TTL: '604800',
  ARGO_OSS_CONTENT_SECURITY_POLICY: "sandbox allow-same-origin allow-scripts; base-uri 'none'; default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
  ARGO_OSS_X_FRAME_OPTIONS: 'SAMEORIGIN',
  ARGO_OSS_GC_WHEN: 'Succeeded',
  ARGO_OSS_GC_DELAY: '72h',
  ARGO_OSS_GC_DRY_RUN: 'false',
  ARGO_OSS_GC_MARK_DELETED: 'true',
  ARGO_OSS_GC_STALE_UPLOAD_HOURS: '96',
  ARGO_OSS_GC_NAMESPACES: 'ml-training,ml-serving,data-pipelines,argo',
  ARGO_OSS_DOWNLOAD_DOMAIN: 'artifacts.ml-platform.example.com',
};
/** The server + token + CA way, with a service-account JWT and a cluster CA of realistic sizes. */
const TOKEN_ROUTE: Record<string, string> = {
  ...REALISTIC,
  ARGO_OSS_KUBECONFIG_FILE: '',
  ARGO_OSS_KUBE_SERVER: 'https://172.16.1.20:6443',
  ARGO_OSS_KUBE_TOKEN: jwt(),
  ARGO_OSS_KUBE_CA_BASE64: Buffer.from(`-----BEGIN CERTIFICATE-----\n${randomBytes(820).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`).toString('base64'),
};

const COMPONENT: Record<string, Component> = { upload_coordinator: 'upload-coordinator', artifact_download: 'artifact-download', artifact_gc: 'artifact-gc' };
/** Runtime variables a function reads that s.yaml deliberately does not set, and why. */
const NOT_IN_S_YAML: Record<string, string> = {
  OSS_ACCESS_KEY_ID: 'the role gives STS credentials; no long-lived keys in env',
  OSS_ACCESS_KEY_SECRET: 'same',
  OSS_SECURITY_TOKEN: 'same',
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'set by FC for custom runtimes',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'same',
  ALIBABA_CLOUD_SECURITY_TOKEN: 'same',
  FC_REGION: 'set by FC (FC_* names are reserved)',
  FC_ACCOUNT_ID: 'same',
  FC_FUNCTION_NAME: 'same',
  FC_CUSTOM_LISTEN_PORT: 'same: FC sets it from customRuntimeConfig.port',
  ARGO_OSS_KUBECONFIG_BASE64: 'a kubeconfig does not fit the 4 KB environment: ARGO_OSS_KUBECONFIG_FILE packages it as KUBECONFIG',
};

let defaults: Json;
let realistic: Json;
let tokenRoute: Json;
let raw: string;
const props = (doc: Json, resource: string): Json => doc.resources[resource].props;
const envOf = (doc: Json, resource: string): Record<string, string> => props(doc, resource).environmentVariables;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 's-yaml-home-'));
  raw = await readFile(join(ROOT, 's.yaml'), 'utf8');
  [defaults, realistic, tokenRoute] = await Promise.all([preview(), preview(REALISTIC), preview(TOKEN_ROUTE)]);
});
afterAll(async () => {
  if (home) await rm(home, { recursive: true, force: true });
});

describe('s.yaml resolved by Serverless Devs', () => {
  it('is a Serverless Devs 3 project of three fc3 functions and one fc3-domain', () => {
    expect(defaults.edition).toBe('3.0.0');
    expect(Object.fromEntries(Object.entries(defaults.resources as Json).map(([k, r]) => [k, r.component]))).toEqual({
      upload_coordinator: 'fc3',
      artifact_download: 'fc3',
      artifact_download_domain: 'fc3-domain',
      artifact_gc: 'fc3',
    });
    expect(defaults.vars.role).toBe(`acs:ram::${ACCOUNT}:role/argo-oss-artifacts-fc`);
    expect(realistic.vars.role).toBe(`acs:ram::${ACCOUNT}:role/ml-platform-argo-oss-functions`);
  });

  it('every function validates against the fc3 props schema, with defaults and with every setting given', async () => {
    const schema = JSON.parse(await readFile(join(ROOT, 'test/fixtures/fc3/props-schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    for (const doc of [defaults, realistic, tokenRoute]) {
      for (const [name, p] of fc3Functions(doc)) {
        expect(validate(p), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
        for (const key of Object.keys(p)) expect(Object.keys(schema.properties), `${name}.${key} is not in the vendored schema`).toContain(key);
        // The trigger configs against their own definitions (ITrigger's anyOf admits any object).
        for (const t of p.triggers as Json[]) {
          const def = { http: 'IHttpTriggerConfig', timer: 'ITimerTriggerConfig' }[t.triggerType as string];
          if (def) expect(new Ajv({ strict: false }).validate({ definitions: schema.definitions, $ref: `#/definitions/${def}` }, t.triggerConfig), `${name}/${t.triggerName}`).toBe(true);
        }
      }
    }
  });

  it('sets every runtime setting of each function from the environment (or says why not), and the result loads', () => {
    for (const [resource, component] of Object.entries(COMPONENT)) {
      const env = envOf(defaults, resource);
      for (const v of variablesFor(component)) {
        if (v.name in NOT_IN_S_YAML) continue;
        expect(Object.keys(env), `${resource} does not set ${v.name}: add it to s.yaml and docs/deploy.md (or to NOT_IN_S_YAML with the reason)`).toContain(v.name);
      }
      for (const doc of [defaults, realistic, tokenRoute]) {
        const e = { ...envOf(doc, resource) };
        if (doc === defaults) e.ARGO_OSS_KUBE_SERVER = 'https://172.16.1.20:6443';
        if (doc === defaults) e.ARGO_OSS_KUBE_TOKEN = 't';
        expect(() => loadConfig(e), resource).not.toThrow();
      }
    }
    // Pods prove themselves with a token made for the coordinator (the upload examples' audience);
    // users' tokens reach the download function with the API server's.
    expect(loadConfig(envOf(defaults, 'upload_coordinator')).tokenAudiences).toEqual(['argo-oss']);
    expect(loadConfig(envOf(defaults, 'artifact_download')).tokenAudiences).toEqual([]);
    expect(loadConfig(envOf(realistic, 'upload_coordinator')).workflowKeyPrefix).toBe('{{workflow.namespace}}/{{workflow.name}}/');
    expect(loadConfig(envOf(realistic, 'artifact_gc'))).toMatchObject({ gcWhen: 'Succeeded', gcDelaySeconds: 72 * 3600, gcNamespaces: ['ml-training', 'ml-serving', 'data-pipelines', 'argo'] });
    // Every knob that is not a runtime variable is documented in docs/deploy.md.
  });

  it('documents every setting it reads in docs/deploy.md', async () => {
    const doc = await readFile(join(ROOT, 'docs/deploy.md'), 'utf8');
    const names = new Set([...raw.matchAll(/env\('([A-Z0-9_]+)'/g)].map((m) => m[1]));
    for (const name of names) expect(doc, `docs/deploy.md does not mention ${name}`).toContain(`\`${name}\``);
  });

  it("stays within FC's limits: environment ≤ 4 KB with realistic values, no FC_* names, timer before EventBridge", () => {
    expect(deployProblems(defaults)).toEqual([]);
    expect(deployProblems(realistic)).toEqual([]);
    for (const [name, p] of fc3Functions(realistic)) {
      expect(environmentBytes(p.environmentVariables), name).toBeLessThanOrEqual(FC_ENV_LIMIT_BYTES);
      expect(Object.keys(p.environmentVariables).filter((k) => k.startsWith('FC_')), name).toEqual([]);
    }
    // Server + token + CA: whichever function it does not fit is named, with the kubeconfig file as the fix.
    for (const problem of deployProblems(tokenRoute)) expect(problem).toMatch(/over FC's 4096.*ARGO_OSS_KUBECONFIG_FILE/);
    expect(environmentBytes(envOf(tokenRoute, 'artifact_download'))).toBeGreaterThan(environmentBytes(envOf(realistic, 'artifact_download')) + 2000);
    // The checks catch what they are for.
    const broken = structuredClone(realistic);
    props(broken, 'artifact_gc').triggers.reverse();
    props(broken, 'upload_coordinator').environmentVariables.FC_SERVER_PORT = '9000';
    props(broken, 'artifact_download').environmentVariables.ARGO_OSS_KUBECONFIG_BASE64 = 'x'.repeat(4400);
    expect(deployProblems(broken)).toEqual([
      expect.stringMatching(/^upload_coordinator: environment variable FC_SERVER_PORT: FC reserves/),
      expect.stringMatching(/^artifact_download: its environment is \d+ bytes, over FC's 4096 \(largest: ARGO_OSS_KUBECONFIG_BASE64 4400 B/),
      expect.stringMatching(/^artifact_gc: list timer and HTTP triggers before EventBridge triggers/),
    ]);
  });

  it('the download web function listens where FC says: customRuntimeConfig.port, which FC passes as FC_CUSTOM_LISTEN_PORT', () => {
    const p = props(defaults, 'artifact_download');
    expect(p.runtime).toBe('custom.debian10');
    expect(p.customRuntimeConfig).toEqual({ command: ['node', 'index.js'], port: 9000 });
    expect(loadConfig({ FC_CUSTOM_LISTEN_PORT: String(p.customRuntimeConfig.port) }).listenPort).toBe(9000);
    expect(p.environmentVariables.PATH.split(':')[0]).toMatch(/\/nodejs20\/bin$/);
    expect(p.timeout).toBeGreaterThanOrEqual(3600); // hour-long downloads
  });

  it('GC hears only terminal workflow events, in the trigger filter and in the parser', () => {
    const gc = props(defaults, 'artifact_gc');
    const eb = (gc.triggers as Json[]).find((t) => t.triggerType === 'eventbridge')!;
    const pattern = JSON.parse(eb.triggerConfig.eventRuleFilterPattern);
    expect(pattern).toEqual({ source: ['acs.cs'], type: ['cs:k8s:WorkflowRelatedEvent'], data: { reason: ['WorkflowSucceeded', 'WorkflowFailed'] } });
    const event = (reason: string) => ({ specversion: '1.0', id: reason, source: 'acs.cs', type: 'cs:k8s:WorkflowRelatedEvent', data: { reason, involvedObject: { kind: 'Workflow', namespace: 'argo', name: 'wf', uid: 'u' } } });
    for (const reason of pattern.data.reason) expect(parseGcPayload(JSON.stringify(event(reason)))[0].kind, reason).toBe('workflow-event');
    // Argo emits WorkflowTimedOut as a warning before it fails the workflow: not a completion.
    expect(parseGcPayload(JSON.stringify(event('WorkflowTimedOut')))[0]).toMatchObject({ kind: 'ignored' });
    // The timer's payload, as FC wraps it, is a reconcile.
    const timer = (gc.triggers as Json[]).find((t) => t.triggerType === 'timer')!;
    expect(parseGcPayload(JSON.stringify({ triggerTime: '2030-01-01T00:00:00Z', triggerName: timer.triggerName, payload: timer.triggerConfig.payload }))).toEqual([{ kind: 'reconcile', trigger: timer.triggerName }]);
    expect((gc.triggers as Json[]).map((t) => t.triggerType)).toEqual(['timer', 'eventbridge']);
  });

  it('the dead-letter queue is off by default; on, it is the named MNS queue and docs/deploy.md gives the exact RAM statement', async () => {
    expect(props(defaults, 'artifact_gc').asyncInvokeConfig).toEqual({ maxAsyncRetryAttempts: 3, maxAsyncEventAgeInSeconds: 86400, destinationConfig: {} });
    const arn = `acs:mns:cn-shanghai:${ACCOUNT}:/queues/argo-oss-gc-dead-letters/messages`;
    expect(props(realistic, 'artifact_gc').asyncInvokeConfig.destinationConfig).toEqual({ onFailure: { destination: arn } });
    const doc = await readFile(join(ROOT, 'docs/deploy.md'), 'utf8');
    const statement = JSON.parse(/```json\n(\{[^`]*"mns:SendMessage"[^`]*\})\n```/.exec(doc)![1]);
    expect(statement).toEqual({ Effect: 'Allow', Action: ['mns:SendMessage'], Resource: ['acs:mns:<region>:<account-id>:/queues/<queue>/messages'] });
    const [, region, account, queue] = /^acs:mns:([^:]+):(\d+):\/queues\/([^/]+)\/messages$/.exec(arn)!;
    expect(statement.Resource[0].replace('<region>', region).replace('<account-id>', account).replace('<queue>', queue)).toBe(arn);
  });

  it('no VPC by default (what fc3 itself sends for none); the VPC variables when set', () => {
    for (const [, p] of fc3Functions(defaults)) expect(p.vpcConfig).toEqual({ vpcId: '', vSwitchIds: [], securityGroupId: '' });
    for (const [, p] of fc3Functions(realistic)) {
      expect(p.vpcConfig).toEqual({ vpcId: REALISTIC.ARGO_OSS_VPC_ID, vSwitchIds: REALISTIC.ARGO_OSS_VSWITCH_IDS.split(','), securityGroupId: REALISTIC.ARGO_OSS_SECURITY_GROUP_ID });
    }
  });

  it('packages the kubeconfig and the lifecycle rules when given, as /code files the functions read', async () => {
    for (const [, p] of fc3Functions(defaults)) expect(p.environmentVariables.KUBECONFIG).toBe('');
    for (const [, p] of fc3Functions(realistic)) expect(p.environmentVariables.KUBECONFIG).toBe('/code/kubeconfig');
    expect(envOf(defaults, 'artifact_gc').ARGO_OSS_LIFECYCLE_RULES).toBe('');
    expect(envOf(realistic, 'artifact_gc').ARGO_OSS_LIFECYCLE_RULES).toBe('/code/lifecycle-rules.yaml');
    const dir = await mkdtemp(join(tmpdir(), 'stage-'));
    try {
      await writeFile(join(dir, 'kc.yaml'), 'apiVersion: v1\nkind: Config\n');
      await writeFile(join(dir, 'rules.yaml'), 'rules: []\n');
      const copied = stagePackageFiles(join(dir, 'dist'), { ARGO_OSS_KUBECONFIG_FILE: join(dir, 'kc.yaml'), ARGO_OSS_LIFECYCLE_RULES_FILE: join(dir, 'rules.yaml') });
      expect(copied.map((c) => c.slice(dir.length + 1)).sort()).toEqual([
        'dist/artifact-download/kubeconfig',
        'dist/artifact-gc/kubeconfig',
        'dist/artifact-gc/lifecycle-rules.yaml',
        'dist/upload-coordinator/kubeconfig',
      ]);
      expect(await readFile(join(dir, 'dist/artifact-gc/kubeconfig'), 'utf8')).toContain('kind: Config');
      expect(() => stagePackageFiles(join(dir, 'dist'), { ARGO_OSS_KUBECONFIG_FILE: join(dir, 'missing') })).toThrow(/ARGO_OSS_KUBECONFIG_FILE=.*missing: no such file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the download domain follows ARGO_OSS_DOWNLOAD_DOMAIN and routes every path to the download function', () => {
    const d = props(defaults, 'artifact_download_domain');
    expect(d).toMatchObject({ region: 'cn-hangzhou', domainName: 'auto', protocol: 'HTTP' });
    expect(d.routeConfig.routes).toEqual([{ path: '/*', functionName: props(defaults, 'artifact_download').functionName, methods: ['GET', 'HEAD', 'POST'], qualifier: 'LATEST' }]);
    expect(props(realistic, 'artifact_download_domain').domainName).toBe(REALISTIC.ARGO_OSS_DOWNLOAD_DOMAIN);
  });
});

describe('npm run deploy', () => {
  it('builds once (in scripts/deploy.ts, no build action in s.yaml)', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.deploy).toBe('node bin/run-ts.mjs scripts/deploy.ts');
    expect(Object.values(defaults.resources as Json).some((r) => r.actions)).toBe(false);
    expect((await readFile(join(ROOT, 'scripts/deploy.ts'), 'utf8')).match(/'build\.mjs'/g)).toHaveLength(1);
  });

  it('without Serverless Devs credentials it says how to add them, before building anything', async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin/run-ts.mjs'), join(ROOT, 'scripts/deploy.ts')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(r.code).toBe(1);
    expect(r.out).toContain('npx s config add -a default --AccessKeyID <id> --AccessKeySecret <secret> --AccountID <account id>');
    expect(r.out).not.toMatch(/loads$/m); // scripts/build.mjs never ran
  });

  it('prints the deployed URLs from what `s deploy` / `s info` report', () => {
    const rows = endpointsOf({
      upload_coordinator: { region: 'cn-shanghai', functionName: 'argo-oss-upload-coordinator', url: { system_url: 'https://argo-oss-upload-coordinator-abc.cn-shanghai.fcapp.run', system_intranet_url: 'https://x-internal' } },
      artifact_download: { functionName: 'argo-oss-artifact-download', url: { system_url: 'https://argo-oss-artifact-download-def.cn-shanghai.fcapp.run' } },
      artifact_download_domain: { domainName: 'artifacts.ml-platform.example.com', protocol: 'HTTP,HTTPS' },
      artifact_gc: { functionName: 'argo-oss-artifact-gc' },
    });
    expect(rows.map((r) => [r.resource, r.url])).toEqual([
      ['upload_coordinator', 'https://argo-oss-upload-coordinator-abc.cn-shanghai.fcapp.run'],
      ['artifact_download', 'https://argo-oss-artifact-download-def.cn-shanghai.fcapp.run'],
      ['artifact_download_domain', 'https://artifacts.ml-platform.example.com'],
    ]);
    const text = formatEndpoints(rows);
    expect(text).toContain('ARGO_OSS_COORDINATOR');
    expect(text).toContain('npm run deploy -- --info');
  });
});
