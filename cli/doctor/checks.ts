// `argo-oss doctor`: checks an installation from the outside, as a user would after `s deploy` (or
// against `npm start`), each check a row with what it saw and, when it failed, the fix.
//
//   coordinator  GET /uploads/<none>?key=… with the token: the function answers after a TokenReview
//   download     GET /artifacts/<ns>/<no such workflow>/… with the token: it answers after reading the cluster
//   gc           POST /events, a kube-eventer completion of a workflow that does not exist: acknowledged
//   cluster      SelfSubjectAccessReviews with the functions' kubeconfig: the RBAC they need
//   bucket       a probe object under .argo-oss/doctor/ written, read back and deleted
//   clock        this machine's clock against the Date of the answers above
//   plugin       the artifact plugin's Unix socket accepts a connection (when configured)
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { deleteObject, getObject, headObject, isOssError, putObject, type OssClient } from '../../shared/oss';

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a failure (or how to turn a skipped check on). */
  fix?: string;
}

export interface DoctorTargets {
  coordinatorUrl?: string;
  downloadUrl?: string;
  /** Where GC takes CloudEvents over HTTP (the local stack's gateway); deployed GC has only EventBridge. */
  gcUrl?: string;
  /** A Kubernetes token of an admin (ARGO_OSS_ADMIN_GROUPS) for the function checks. */
  token?: string;
  /** Namespace of the synthetic workflow the download and GC checks ask about. */
  namespace: string;
  /** The functions' own cluster credentials, for the RBAC check. */
  kubeConfig?: KubeConfig;
  oss?: OssClient;
  pluginSocket?: string;
  /** Tolerated clock difference in seconds. */
  maxSkewSeconds?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The permissions the functions' identity needs (examples/rbac.yaml). */
export const REQUIRED_PERMISSIONS = [
  { verb: 'create', group: 'authentication.k8s.io', resource: 'tokenreviews', who: 'upload-coordinator (who is calling)' },
  { verb: 'get', group: '', resource: 'pods', who: 'upload-coordinator (the caller pod)' },
  { verb: 'get', group: 'argoproj.io', resource: 'workflows', who: 'artifact-gc, share links' },
  { verb: 'list', group: 'argoproj.io', resource: 'workflows', who: 'artifact-gc reconcile' },
  { verb: 'patch', group: 'argoproj.io', resource: 'workflows', who: 'artifact-gc (mark artifacts deleted)' },
] as const;

const VPC_FIX =
  'the function cannot reach the Kubernetes API: for a private API server set ARGO_OSS_VPC_ID, ARGO_OSS_VSWITCH_IDS and ' +
  'ARGO_OSS_SECURITY_GROUP_ID and redeploy (docs/deploy.md#private-api-servers); check the cluster credentials it was given';
const TOKEN_FIX: Record<string, string> = {
  coordinator:
    'pass --token with a token the cluster accepts for the coordinator, of a member of ARGO_OSS_ADMIN_GROUPS, with its audience ' +
    '(ARGO_OSS_TOKEN_AUDIENCES, by default argo-oss: `kubectl create token <service account> --audience argo-oss`)',
  download: 'pass --token with a Kubernetes token (the API server audience) of a user who may get workflows in --namespace',
};

interface Answer {
  status: number;
  code?: string;
  message: string;
  date?: string;
  sentAt: number;
  receivedAt: number;
}

async function call(t: DoctorTargets, url: string, init: RequestInit = {}): Promise<Answer> {
  const now = t.now ?? Date.now;
  const sentAt = now();
  const res = await (t.fetch ?? fetch)(url, { ...init, headers: { ...(t.token ? { authorization: `Bearer ${t.token}` } : {}), ...(init.headers as Record<string, string>) }, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  const receivedAt = now();
  let code: string | undefined;
  let message = text.slice(0, 300);
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string }; errors?: string[] };
    code = body.error?.code;
    message = body.error?.message ?? (body.errors?.length ? body.errors.join('; ') : message);
  } catch {
    /* not JSON */
  }
  return { status: res.status, ...(code ? { code } : {}), message, ...(res.headers.get('date') ? { date: res.headers.get('date')! } : {}), sentAt, receivedAt };
}

const unreachable = (name: string, url: string, err: unknown): CheckResult => ({
  name,
  status: 'fail',
  detail: `${url} does not answer: ${(err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message}`,
  fix: 'check the URL (`npm run deploy -- --info` prints the deployed ones; `npm start` serves them at http://127.0.0.1:9000)',
});

function functionAnswer(name: string, a: Answer, ok: (a: Answer) => boolean, what: string): CheckResult {
  const seen = `${a.status}${a.code ? ` ${a.code}` : ''}: ${a.message}`;
  if (ok(a)) return { name, status: 'pass', detail: `answers (${what}): ${seen}` };
  if (a.status === 401) return { name, status: 'fail', detail: `the token was not accepted: ${seen}`, fix: TOKEN_FIX[name] };
  if (a.status === 403) return { name, status: 'fail', detail: `the token may not do this: ${seen}`, fix: `use a token whose RBAC allows it (${what})` };
  if (a.status >= 500 && /AuthMisconfigured|Forbidden|may not/i.test(`${a.code} ${a.message}`)) {
    return { name, status: 'fail', detail: seen, fix: "give the functions' service account the ClusterRole of examples/rbac.yaml" };
  }
  if (a.status === 502 || a.status === 503) return { name, status: 'fail', detail: seen, fix: VPC_FIX };
  if (a.status === 500 && a.code === 'ConfigError') return { name, status: 'fail', detail: seen, fix: 'set the variable it names (docs/deploy.md#settings) and redeploy' };
  return { name, status: 'fail', detail: `unexpected answer ${seen}`, fix: 'check that this URL is the right function' };
}

const probeName = () => `argo-oss-doctor-${randomBytes(4).toString('hex')}`;

export async function checkCoordinator(t: DoctorTargets, answers: Answer[]): Promise<CheckResult> {
  const name = 'coordinator';
  if (!t.coordinatorUrl) return { name, status: 'skip', detail: 'no coordinator URL', fix: 'pass --coordinator URL (or set ARGO_OSS_COORDINATOR)' };
  if (!t.token) return { name, status: 'fail', detail: 'no token to call it with', fix: TOKEN_FIX[name] };
  const url = `${t.coordinatorUrl.replace(/\/$/, '')}/uploads/${probeName()}?key=${encodeURIComponent(`${probeName()}/probe`)}`;
  try {
    const a = await call(t, url);
    answers.push(a);
    // An upload that does not exist: the token was reviewed by the cluster first.
    return functionAnswer(name, a, (x) => x.status === 404 || x.status === 400 || (x.status === 403 && x.code === 'Forbidden' && /key/i.test(x.message)), 'token reviewed, no such upload');
  } catch (err) {
    return unreachable(name, t.coordinatorUrl, err);
  }
}

export async function checkDownload(t: DoctorTargets, answers: Answer[]): Promise<CheckResult> {
  const name = 'download';
  if (!t.downloadUrl) return { name, status: 'skip', detail: 'no download URL', fix: 'pass --download URL (the download custom domain)' };
  if (!t.token) return { name, status: 'fail', detail: 'no token to call it with', fix: TOKEN_FIX[name] };
  const wf = probeName();
  try {
    const a = await call(t, `${t.downloadUrl.replace(/\/$/, '')}/artifacts/${t.namespace}/${wf}/${wf}/main-logs`);
    answers.push(a);
    return functionAnswer(name, a, (x) => x.status === 404 && x.code === 'WorkflowNotFound', `read workflow ${t.namespace}/${wf} with the token: not found`);
  } catch (err) {
    return unreachable(name, t.downloadUrl, err);
  }
}

export async function checkGc(t: DoctorTargets, answers: Answer[]): Promise<CheckResult> {
  const name = 'gc';
  if (!t.gcUrl) {
    return {
      name,
      status: 'skip',
      detail: 'deployed GC takes events from EventBridge only',
      fix: `pass --gc URL where it takes CloudEvents over HTTP (the local stack), or invoke it: npx s artifact_gc invoke -e '${JSON.stringify(syntheticEvent(t.namespace, 'argo-oss-doctor'))}'`,
    };
  }
  try {
    const a = await call(t, `${t.gcUrl.replace(/\/$/, '')}/events?dryRun=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(syntheticEvent(t.namespace, probeName())) });
    answers.push(a);
    if (a.status === 200) return { name, status: 'pass', detail: 'a completion event of a workflow that does not exist was acknowledged' };
    return { name, status: 'fail', detail: `${a.status}: ${a.message}`, fix: /reach|ECONNREFUSED|ENOTFOUND|timed? ?out|socket/i.test(a.message) ? VPC_FIX : "give the functions' service account the ClusterRole of examples/rbac.yaml" };
  } catch (err) {
    return unreachable(name, t.gcUrl, err);
  }
}

/** A kube-eventer CloudEvent of a workflow completion, as EventBridge delivers it. */
export function syntheticEvent(namespace: string, workflow: string): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: `argo-oss-doctor-${randomBytes(6).toString('hex')}`,
    source: 'acs.cs',
    type: 'cs:k8s:WorkflowRelatedEvent',
    datacontenttype: 'application/json',
    data: { reason: 'WorkflowSucceeded', type: 'Normal', involvedObject: { kind: 'Workflow', apiVersion: 'argoproj.io/v1alpha1', namespace, name: workflow } },
  };
}

export async function checkCluster(t: DoctorTargets): Promise<CheckResult> {
  const name = 'cluster';
  if (!t.kubeConfig) return { name, status: 'skip', detail: "no kubeconfig of the functions' identity", fix: 'pass --kubeconfig FILE (the file given as ARGO_OSS_KUBECONFIG_FILE) or set KUBECONFIG' };
  const api = t.kubeConfig.makeApiClient(AuthorizationV1Api);
  const server = t.kubeConfig.getCurrentCluster()?.server ?? '(no server)';
  const missing: string[] = [];
  for (const p of REQUIRED_PERMISSIONS) {
    try {
      const r = await api.createSelfSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: p.verb, group: p.group, resource: p.resource } } } });
      if (!r.status?.allowed) missing.push(`${p.verb} ${p.resource}${p.group ? `.${p.group}` : ''} (${p.who})`);
    } catch (err) {
      const e = err as { code?: number; message?: string };
      if (e.code === 401) return { name, status: 'fail', detail: `${server} rejects the kubeconfig's credentials`, fix: "renew the functions' token (examples/rbac.yaml) and redeploy" };
      return { name, status: 'fail', detail: `the Kubernetes API at ${server} cannot be reached: ${(e.message ?? String(err)).split('\n')[0]}`, fix: 'start the API server or fix its address; from FC a private address needs the VPC settings (docs/deploy.md#private-api-servers)' };
    }
  }
  if (missing.length > 0) return { name, status: 'fail', detail: `not allowed: ${missing.join(', ')}`, fix: "apply the ClusterRole of examples/rbac.yaml to the functions' service account" };
  return { name, status: 'pass', detail: `${server}: ${REQUIRED_PERMISSIONS.map((p) => `${p.verb} ${p.resource}`).join(', ')} allowed` };
}

export async function checkBucket(t: DoctorTargets): Promise<CheckResult> {
  const name = 'bucket';
  if (!t.oss) return { name, status: 'skip', detail: 'no OSS settings', fix: 'set OSS_BUCKET, OSS_REGION (OSS_ENDPOINT) and credentials allowed to write .argo-oss/' };
  const key = `.argo-oss/doctor/${probeName()}`;
  const body = `argo-oss doctor ${new Date().toISOString()}`;
  const where = `oss://${t.oss.bucket}/${key}`;
  try {
    await putObject(t.oss, key, body);
    const got = (await getObject(t.oss, key)).body.toString('utf8');
    if (got !== body) return { name, status: 'fail', detail: `${where} read back other bytes`, fix: 'check the endpoint (OSS_ENDPOINT) is OSS itself, not a proxy that rewrites objects' };
    await deleteObject(t.oss, key);
    try {
      await headObject(t.oss, key);
      return { name, status: 'fail', detail: `${where} is still there after the delete`, fix: 'allow oss:DeleteObject on the bucket (examples/ram-policy.json)' };
    } catch (err) {
      if (!isOssError(err, 'NotFound')) throw err;
    }
    return { name, status: 'pass', detail: `${where} written, read back and deleted` };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const fix =
      code === 'NoSuchBucket'
        ? `create the bucket or fix OSS_BUCKET (${t.oss.bucket}) and the region (OSS_REGION ${t.oss.region})`
        : /AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch/.test(code)
          ? 'use credentials (the role of examples/ram-policy.json) allowed oss:PutObject, GetObject and DeleteObject on the bucket'
          : 'check OSS_ENDPOINT and the network';
    return { name, status: 'fail', detail: `${where}: ${(err as Error).message.split('\n')[0]}`, fix };
  }
}

/** Seconds this clock is behind (+) or ahead (−) of the servers', from HTTP Date headers (1 s resolution). */
export function clockSkewSeconds(samples: Array<{ date: string; sentAt: number; receivedAt: number }>): number | undefined {
  const skews = samples
    .map((s) => Date.parse(s.date) + 500 - (s.sentAt + s.receivedAt) / 2)
    .filter((x) => Number.isFinite(x));
  if (skews.length === 0) return undefined;
  skews.sort((a, b) => a - b);
  return Math.round(skews[Math.floor(skews.length / 2)] / 1000);
}

export function checkClock(t: DoctorTargets, samples: Array<{ date: string; sentAt: number; receivedAt: number }>): CheckResult {
  const name = 'clock';
  const skew = clockSkewSeconds(samples);
  const max = t.maxSkewSeconds ?? 60;
  if (skew === undefined) return { name, status: 'skip', detail: 'no server answered with a Date', fix: 'run the other checks (they carry the servers’ time)' };
  if (Math.abs(skew) > max) {
    return { name, status: 'fail', detail: `this clock is ${Math.abs(skew)} s ${skew > 0 ? 'behind' : 'ahead of'} the servers'`, fix: 'synchronise the clock (chrony/NTP): OSS refuses signatures more than 15 minutes off, and tokens and presigned URLs expire early or late' };
  }
  return { name, status: 'pass', detail: `within ${max} s of the servers' (${skew >= 0 ? '+' : ''}${skew} s)` };
}

export async function checkPlugin(t: DoctorTargets): Promise<CheckResult> {
  const name = 'plugin';
  if (!t.pluginSocket) return { name, status: 'skip', detail: 'no plugin socket configured', fix: 'pass --plugin-socket PATH to check the artifact plugin' };
  const path = t.pluginSocket;
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (r: CheckResult) => {
      s.destroy();
      resolve(r);
    };
    s.setTimeout(10_000, () => done({ name, status: 'fail', detail: `${path}: no connection within 10 s`, fix: 'check that `argo-oss plugin` runs and listens there' }));
    s.once('connect', () => done({ name, status: 'pass', detail: `${path} accepts connections` }));
    s.once('error', (err) => done({ name, status: 'fail', detail: `${path}: ${err.message}`, fix: 'start the artifact plugin (`argo-oss plugin SOCKET`) or fix the path' }));
  });
}

/** Runs every check; the clock check uses the Date headers of the others. */
export async function runDoctor(t: DoctorTargets): Promise<CheckResult[]> {
  const answers: Answer[] = [];
  const dates: Array<{ date: string; sentAt: number; receivedAt: number }> = [];
  const results = [await checkCoordinator(t, answers), await checkDownload(t, answers), await checkGc(t, answers), await checkCluster(t), await checkBucket(t)];
  for (const a of answers) if (a.date) dates.push({ date: a.date, sentAt: a.sentAt, receivedAt: a.receivedAt });
  results.push(checkClock(t, dates), await checkPlugin(t));
  return results;
}

export function formatReport(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => `${r.name.padEnd(width)}  ${r.status.toUpperCase().padEnd(4)}  ${r.detail}`);
  const fixes = results.filter((r) => r.status === 'fail' && r.fix).map((r) => `  ${r.name}: ${r.fix}`);
  const failed = results.filter((r) => r.status === 'fail').length;
  return [...lines, '', failed === 0 ? 'All checks passed.' : `${failed} check(s) failed. To fix:`, ...fixes].join('\n');
}
