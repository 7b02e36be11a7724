// What `npm run deploy` checks and prints, as plain functions over the resolved s.yaml (the JSON of
// `s preview -o json`) and the JSON `s deploy` / `s info` print — shared with test/s-yaml.test.ts, so
// the limits the tests hold s.yaml to are the ones the deploy enforces.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** FC 3.0: all environment variables of one function together (function-compute.md §6). */
export const FC_ENV_LIMIT_BYTES = 4096;

/** Bytes FC counts for a function's environment: the JSON of the name → value map (a safe upper bound). */
export function environmentBytes(env: Record<string, string>): number {
  return Buffer.byteLength(JSON.stringify(env));
}

/** The fc3 functions of a resolved s.yaml, by resource name. */
export function fc3Functions(resolved: Json): Array<[string, Json]> {
  return Object.entries((resolved.resources ?? {}) as Json).filter(([, r]) => r?.component === 'fc3').map(([name, r]) => [name, r.props ?? {}]);
}

/**
 * Problems that would make a deploy fail or behave wrongly, each naming the resource and the fix:
 * the 4 KB environment limit, reserved FC_* names, and a non-EventBridge trigger listed after an
 * EventBridge one (fc3 may then skip updating it).
 */
export function deployProblems(resolved: Json): string[] {
  const problems: string[] = [];
  for (const [name, p] of fc3Functions(resolved)) {
    const env = (p.environmentVariables ?? {}) as Record<string, string>;
    const bytes = environmentBytes(env);
    if (bytes > FC_ENV_LIMIT_BYTES) {
      const largest = Object.entries(env).sort((a, b) => b[1].length - a[1].length).slice(0, 3).map(([k, v]) => `${k} ${v.length} B`).join(', ');
      problems.push(
        `${name}: its environment is ${bytes} bytes, over FC's ${FC_ENV_LIMIT_BYTES} (largest: ${largest}). Put the cluster credentials in a ` +
          'kubeconfig file instead (ARGO_OSS_KUBECONFIG_FILE=path, packaged as /code/kubeconfig) and unset ARGO_OSS_KUBE_TOKEN/ARGO_OSS_KUBE_CA_BASE64.',
      );
    }
    for (const key of Object.keys(env)) {
      if (key.startsWith('FC_')) problems.push(`${name}: environment variable ${key}: FC reserves every FC_* name (it sets them itself); remove it`);
    }
    const types = ((p.triggers ?? []) as Json[]).map((t) => t.triggerType as string);
    const firstEb = types.indexOf('eventbridge');
    if (firstEb >= 0 && types.slice(firstEb).some((t) => t !== 'eventbridge')) {
      problems.push(`${name}: list timer and HTTP triggers before EventBridge triggers (fc3 stops updating triggers at an unchanged EventBridge trigger)`);
    }
  }
  return problems;
}

/** The JSON document in the output of `s ... -o json` (s prints a warning line before it when run as root). */
export function jsonFromSOutput(text: string): Json {
  const start = text.indexOf('{');
  if (start < 0) throw new Error(`no JSON in the output of s:\n${text.slice(0, 2000)}`);
  return JSON.parse(text.slice(start)) as Json;
}

export interface Endpoint {
  resource: string;
  functionName?: string;
  url: string;
  what: string;
}

const ROLES: Record<string, string> = {
  upload_coordinator: 'upload coordinator: ARGO_OSS_COORDINATOR for `argo-oss upload` in pods',
  artifact_download: 'artifact download (FC test domain: forces downloads, use the custom domain)',
  artifact_download_domain: 'artifact downloads for browsers and argo cp: route Argo UI links here (examples/custom-domain.md)',
  artifact_gc: 'artifact GC (EventBridge + timer, no URL)',
};

/** The URLs in the JSON that `s deploy -o json` / `s info -o json` print, one row per URL. */
export function endpointsOf(output: Json): Endpoint[] {
  const rows: Endpoint[] = [];
  for (const [resource, info] of Object.entries(output ?? {})) {
    if (!info || typeof info !== 'object') continue;
    const i = info as Json;
    const what = ROLES[resource] ?? resource;
    const fn = typeof i.functionName === 'string' ? { functionName: i.functionName } : {};
    if (typeof i.url?.system_url === 'string') rows.push({ resource, ...fn, url: i.url.system_url, what });
    if (typeof i.url?.custom_domain === 'string') rows.push({ resource, ...fn, url: `http://${i.url.custom_domain}`, what });
    if (typeof i.domainName === 'string') rows.push({ resource, url: `${/HTTPS/.test(String(i.protocol ?? '')) ? 'https' : 'http'}://${i.domainName}`, what });
  }
  return rows;
}

export function formatEndpoints(rows: Endpoint[]): string {
  if (rows.length === 0) return 'No URLs in the output (run `npm run deploy -- --info`).';
  const width = Math.max(...rows.map((r) => r.url.length));
  return [
    'Deployed URLs:',
    ...rows.map((r) => `  ${r.url.padEnd(width)}  ${r.what}`),
    '',
    'Find them again with `npm run deploy -- --info` (or `npx s info -o json`); check the installation with',
    '`argo-oss doctor --coordinator <upload coordinator URL> --download <download URL>` (docs/deploy.md#check-it).',
  ].join('\n');
}

/** Files `npm run deploy` copies into the function packages, from the deploying shell's environment. */
export const PACKAGE_FILES = [
  { variable: 'ARGO_OSS_KUBECONFIG_FILE', file: 'kubeconfig', functions: ['upload-coordinator', 'artifact-download', 'artifact-gc'] },
  { variable: 'ARGO_OSS_LIFECYCLE_RULES_FILE', file: 'lifecycle-rules.yaml', functions: ['artifact-gc'] },
] as const;

/** Copies the configured package files into `dist/<function>/`; returns what was copied. Throws naming a missing file. */
export function stagePackageFiles(dist: string, env: Record<string, string | undefined>): string[] {
  const copied: string[] = [];
  for (const f of PACKAGE_FILES) {
    const source = env[f.variable]?.trim();
    if (!source) continue;
    if (!existsSync(source)) throw new Error(`${f.variable}=${source}: no such file`);
    for (const fn of f.functions) {
      mkdirSync(join(dist, fn), { recursive: true });
      const target = join(dist, fn, f.file);
      copyFileSync(source, target);
      copied.push(target);
    }
  }
  return copied;
}

export const NO_CREDENTIALS_HINT =
  'Serverless Devs has no credentials for this account. Add them once with\n' +
  '  npx s config add -a default --AccessKeyID <id> --AccessKeySecret <secret> --AccountID <account id> -f\n' +
  'or export AccountID, AccessKeyID and AccessKeySecret for this shell (docs/deploy.md).';
