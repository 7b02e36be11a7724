// Keeps examples/ honest: every manifest parses; Workflows are well-formed; every `argo-oss` command
// line in them is run through the real CLI (against a stub coordinator that records the start request
// and stops there); the GC examples, completed on paper, get the plan their comments promise from
// shared/gc's pure policy; the UI links of the upload examples resolve to the uploaded keys; the
// artifact repository, kube-eventer and custom-domain examples agree with what the functions expect.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { Command } from '../cli/command';
import { UsageError } from '../cli/command';
import { gcCommand } from '../cli/commands/gc';
import { lifecycleCommand } from '../cli/commands/lifecycle';
import { localCommand } from '../cli/commands/local';
import { ossServerCommand } from '../cli/commands/oss-server';
import { uploadCommand } from '../cli/commands/upload';
import { assertServed, parsePluginConfiguration, servedStorage, type Artifact, type ArtifactLocation, type NodeStatus, type Template, type Workflow } from '../shared/argo';
import { loadConfig } from '../shared/config';
import { parseArtifactPath } from '../shared/download/routes';
import { childKey, resolveArtifact } from '../shared/download/resolve';
import { BUILT_IN_DEFAULTS, KUBE_EVENTER_SOURCE, WORKFLOW_EVENT_TYPE, parseGcPayload, ownershipRule, planWorkflow, targetPrefix, type ArtifactDecision, type GcDefaults, type PlanOptions } from '../shared/gc';
import { planUpload } from '../shared/upload/plan';
import type { StartUploadRequest } from '../shared/upload/protocol';
import { DEFAULT_WORKFLOW_KEY_PREFIX, namespacePrefix, validateArtifactKey, workflowKeyPrefix } from '../shared/tenancy';

const ROOT = join(import.meta.dirname, '..');
const EXAMPLES = join(ROOT, 'examples');
const COMMANDS: Command[] = [uploadCommand, gcCommand, lifecycleCommand, localCommand, ossServerCommand];
const CONFIG = loadConfig({});
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const HOUR = 3_600_000;

type Json = Record<string, any>; // manifests are user YAML: fields are checked, not trusted

// ---------------------------------------------------------------------------------------------
// Loading

interface ExampleFile {
  name: string;
  text: string;
  docs: Json[];
}

const files: ExampleFile[] = [];
const workflows: Array<{ file: string; wf: Json }> = [];

async function loadExamples(): Promise<void> {
  for (const name of (await readdir(EXAMPLES)).sort()) {
    const text = await readFile(join(EXAMPLES, name), 'utf8');
    const docs: Json[] = [];
    if (/\.ya?ml$/.test(name)) {
      for (const doc of parseAllDocuments(text)) {
        if (doc.errors.length) throw new Error(`${name}: ${doc.errors.map((e) => e.message).join('; ')}`);
        if (doc.warnings.length) throw new Error(`${name}: ${doc.warnings.map((e) => e.message).join('; ')}`);
        const value = doc.toJS();
        if (value !== null) docs.push(value);
      }
    }
    files.push({ name, text, docs });
    for (const d of docs) if (d.kind === 'Workflow') workflows.push({ file: name, wf: d });
  }
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} not found`);
  return value;
}

function example(name: string): ExampleFile {
  const f = files.find((x) => x.name === name);
  if (!f) throw new Error(`examples/${name} is missing`);
  return f;
}

function workflowOf(name: string): Json {
  const w = workflows.find((x) => x.file === name);
  if (!w) throw new Error(`examples/${name} has no Workflow`);
  return w.wf;
}

// ---------------------------------------------------------------------------------------------
// Argo, on paper: template variables, the pods a workflow runs, and the status after completion

interface Ident {
  name: string;
  namespace: string;
  uid: string;
}

function identOf(wf: Json): Ident {
  const name = wf.metadata?.name ?? `${wf.metadata?.generateName ?? 'wf-'}x7k2p`;
  return { name, namespace: 'argo', uid: '5b7c1f0e-2d3a-4c1b-9e8f-0a1b2c3d4e5f' };
}

/** Argo's {{...}} substitution; an unknown variable is an error (a typo Argo would reject or leave). */
function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`unknown template variable {{${name}}}`);
    return vars[name];
  });
}

function deepSubstitute<T>(value: T, vars: Record<string, string>): T {
  if (typeof value === 'string') return substitute(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => deepSubstitute(v, vars)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepSubstitute(v, vars)])) as T;
  return value;
}

function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(s)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h;
}

interface PodRun {
  /** The template with every {{...}} resolved for this pod. */
  template: Json;
  vars: Record<string, string>;
  nodeId: string;
  podName: string;
}

/** The pods a workflow runs: steps/DAG expanded (withSequence, withItems), leaves resolved. */
function podRuns(wf: Json, ident: Ident): PodRun[] {
  const templates = new Map<string, Json>((wf.spec?.templates ?? []).map((t: Json) => [t.name, t]));
  const global: Record<string, string> = { 'workflow.name': ident.name, 'workflow.namespace': ident.namespace, 'workflow.uid': ident.uid };
  for (const p of wf.spec?.arguments?.parameters ?? []) global[`workflow.parameters.${p.name}`] = String(p.value);
  const runs: PodRun[] = [];

  const visit = (name: string, args: Record<string, string>, path: string) => {
    const t = templates.get(name);
    if (!t) throw new Error(`${path}: template ${JSON.stringify(name)} does not exist`);
    const vars = { ...global };
    for (const p of t.inputs?.parameters ?? []) {
      const value = args[p.name] ?? (p.value !== undefined ? String(p.value) : undefined);
      if (value === undefined) throw new Error(`${path}: input parameter ${p.name} of ${name} has no value`);
      vars[`inputs.parameters.${p.name}`] = substitute(value, vars);
    }
    const call = (step: Json) => {
      let items: Array<string | undefined> = [undefined];
      if (step.withSequence) {
        const seq = deepSubstitute(step.withSequence as Json, vars);
        const start = Number(seq.start ?? 0);
        const end = seq.count !== undefined ? start + Number(seq.count) - 1 : Number(seq.end);
        items = Array.from({ length: end - start + 1 }, (_, i) => String(start + i));
      } else if (Array.isArray(step.withItems)) {
        items = step.withItems.map((x: unknown) => String(x));
      }
      items.forEach((item, i) => {
        const v = item === undefined ? vars : { ...vars, item };
        const stepArgs = Object.fromEntries((step.arguments?.parameters ?? []).map((p: Json) => [p.name, substitute(String(p.value), v)]));
        visit(step.template, stepArgs, `${path}.${step.name}${item === undefined ? '' : `(${i}:${item})`}`);
      });
    };
    if (Array.isArray(t.steps)) for (const group of t.steps) for (const step of group) call(step);
    else if (Array.isArray(t.dag?.tasks)) for (const task of t.dag.tasks) call(task);
    else if (t.container || t.script || t.containerSet) {
      const hash = fnv32a(path);
      const podName = `${ident.name}-${t.name}-${hash}`;
      const podVars = { ...vars, 'pod.name': podName };
      runs.push({ template: deepSubstitute(t, podVars), vars: podVars, nodeId: `${ident.name}-${hash}`, podName });
    } else {
      throw new Error(`${path}: template ${name} is of a kind this test does not simulate`);
    }
  };
  const wfArgs = Object.fromEntries((wf.spec?.arguments?.parameters ?? []).map((p: Json) => [p.name, String(p.value)]));
  visit(wf.spec.entrypoint, wfArgs, ident.name);
  return runs;
}

/** The default artifact repository of examples/artifact-repository.yaml (or another file's). */
function repository(file = 'artifact-repository.yaml'): ArtifactLocation {
  const cm = example(file).docs.find((d) => d.kind === 'ConfigMap' && d.metadata?.name === 'artifact-repositories');
  const key = cm?.metadata?.annotations?.['workflows.argoproj.io/default-artifact-repository'];
  return parse(cm?.data?.[key]) as ArtifactLocation;
}

/** Argo's key for an output without its own key: <archive key>/<file> (executor.go stageArchiveFile). */
/** `kind`: the repository's storage; Argo records a key-less output as `<kind>: {key}` only. */
function statusArtifact(a: Json, archiveKey: string, kind: 'oss' | 'plugin' = 'oss'): Artifact {
  const file = a.archive?.none ? posix.basename(a.path) : a.archive?.zip ? `${a.name}.zip` : `${a.name}.tgz`;
  const key: string = a[kind]?.key ?? `${archiveKey}/${file}`;
  expect(key, `artifact ${a.name}`).not.toMatch(/\{\{/);
  return { name: a.name, path: a.path, ...(a.archive ? { archive: a.archive } : {}), ...(a.artifactGC ? { artifactGC: a.artifactGC } : {}), [kind]: { key } };
}

/** What Argo's controller would record for the workflow once it finished in `phase` at T0. */
function completed(wf: Json, phase: 'Succeeded' | 'Failed' | 'Error', repo = repository()): Workflow {
  const ident = identOf(wf);
  const nodes: Record<string, NodeStatus> = {
    [ident.name]: { id: ident.name, name: ident.name, type: 'Steps', phase, templateName: wf.spec.entrypoint },
  };
  for (const run of podRuns(wf, ident)) {
    const t = run.template;
    const kind = repo.plugin ? 'plugin' : 'oss';
    const archiveKey = t.archiveLocation?.[kind]?.key ?? substitute(repo[kind]?.keyFormat ?? '{{workflow.name}}/{{pod.name}}', run.vars);
    const artifacts = (t.outputs?.artifacts ?? []).map((a: Json) => statusArtifact(a, archiveKey, kind));
    if (t.archiveLocation?.archiveLogs ?? wf.spec.archiveLogs ?? repo.archiveLogs) artifacts.push({ name: 'main-logs', [kind]: { key: `${archiveKey}/main.log` } });
    nodes[run.nodeId] = { id: run.nodeId, name: run.podName, type: 'Pod', phase, templateName: t.name, outputs: { artifacts } };
  }
  return {
    apiVersion: wf.apiVersion,
    kind: 'Workflow',
    metadata: { ...wf.metadata, name: ident.name, namespace: ident.namespace, uid: ident.uid, labels: { 'workflows.argoproj.io/completed': 'true' } },
    spec: wf.spec,
    status: {
      phase,
      finishedAt: T0.toISOString(),
      nodes,
      artifactRepositoryRef: { configMap: 'artifact-repositories', key: 'default-v1', namespace: ident.namespace, artifactRepository: repo },
    },
  };
}

const planOptions = (defaults: GcDefaults = BUILT_IN_DEFAULTS): PlanOptions => ({ defaults, served: servedStorage(CONFIG), artifactRoot: CONFIG.artifactRoot, ownership: ownershipRule(CONFIG) });

function decisions(wf: Workflow, event: 'completed' | 'deleted', now: Date, defaults?: GcDefaults, deletedAt?: Date): Record<string, ArtifactDecision> {
  const plan = planWorkflow(wf, event, now, { ...planOptions(defaults), ...(deletedAt ? { deletedAt } : {}) });
  expect(plan.notPlannable).toBeUndefined();
  const out: Record<string, ArtifactDecision> = {};
  for (const d of plan.decisions) {
    expect(d.action, `${d.artifact}: ${d.reason}`).not.toBe('refuse');
    out[d.artifact] = d;
  }
  return out;
}

const actions = (d: Record<string, ArtifactDecision>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.action]));

/** The workflow as the artifact-gc function leaves it after reclaiming `names` (deleted: true). */
function markDeleted(wf: Workflow, names: string[]): Workflow {
  const copy = structuredClone(wf);
  for (const n of Object.values(copy.status!.nodes!)) for (const a of n.outputs?.artifacts ?? []) if (names.includes(a.name)) a.deleted = true;
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Shell, on paper: the argo-oss command lines of a container script, with variables expanded

/** The script a container runs: a script template's source, `sh -c` text (command + args), else the argv joined. */
function scriptOf(c: Json): string {
  if (typeof c.source === 'string') return c.source;
  const argv: string[] = [...(c.command ?? []), ...(c.args ?? [])].map(String);
  const i = argv.findIndex((a) => /^-[a-z]*c[a-z]*$/.test(a));
  if (argv[0] && /(^|\/)(ba)?sh$/.test(argv[0]) && i > 0) return argv.slice(i + 1).join('\n');
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Logical lines: backslash-newline continuations joined, comment-only and blank lines dropped. */
function logicalLines(script: string): string[] {
  return script
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function arithmetic(expr: string, env: Record<string, string>): string {
  const text = expr.replace(/\$?\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => {
    if (!(n in env) || !/^-?\d+$/.test(env[n])) throw new Error(`$((${expr})): ${n} is not a number`);
    return env[n];
  });
  const tokens = text.match(/\d+|[-+*/()]/g) ?? [];
  if (tokens.join('') !== text.replace(/\s+/g, '')) throw new Error(`$((${expr})): unsupported`);
  let i = 0;
  const factor = (): number => {
    const t = tokens[i++];
    if (t === '(') {
      const v = sum();
      i++;
      return v;
    }
    if (t === '-') return -factor();
    return Number(t);
  };
  const product = (): number => {
    let v = factor();
    while (tokens[i] === '*' || tokens[i] === '/') v = tokens[i++] === '*' ? v * factor() : Math.trunc(v / factor());
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[i] === '+' || tokens[i] === '-') v = tokens[i++] === '+' ? v + product() : v - product();
    return v;
  };
  return String(sum());
}

/** POSIX-shell words of `text` up to the first unquoted operator, with $VAR, ${VAR} and $((..)) expanded. */
function shellWords(text: string, env: Record<string, string>): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  const add = (s: string) => (word = (word ?? '') + s);
  const dollar = (): string => {
    if (text.startsWith('$((', i)) {
      const end = text.indexOf('))', i);
      const v = arithmetic(text.slice(i + 3, end), env);
      i = end + 2;
      return v;
    }
    const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(text.slice(i));
    if (!m) throw new Error(`unsupported expansion at ${JSON.stringify(text.slice(i, i + 10))}`);
    const name = m[1] ?? m[2];
    if (!(name in env)) throw new Error(`$${name} is not set (no env entry or assignment)`);
    i += m[0].length;
    return env[name];
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      add(text.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      i++;
      add('');
      while (text[i] !== '"') {
        if (i >= text.length) throw new Error('unterminated "');
        if (text[i] === '\\' && '"\\$`'.includes(text[i + 1])) {
          add(text[i + 1]);
          i += 2;
        } else if (text[i] === '$') add(dollar());
        else add(text[i++]);
      }
      i++;
    } else if (c === '\\') {
      add(text[i + 1]);
      i += 2;
    } else if (c === '$') {
      add(dollar());
    } else if ('<>|&;()`'.includes(c) || (c === '#' && word === undefined)) {
      break;
    } else {
      add(c);
      i++;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** GNU size syntax of head -c / truncate -s: K/M/G/T are binary, KB/MB/... decimal. */
function gnuSize(text: string): number {
  const m = /^(\d+)(?:([KMGT])(iB|B)?)?$/.exec(text);
  if (!m) throw new Error(`not a size: ${text}`);
  const power = m[2] ? 'KMGT'.indexOf(m[2]) + 1 : 0;
  return Number(m[1]) * (m[3] === 'B' ? 1000 : 1024) ** power;
}

interface CliLine {
  /** The words after the program: [command, ...args]. */
  argv: string[];
  /** The bundle path when run as `node <path>/argo-oss.cjs`. */
  bundle?: string;
  /** Size of each local file the script makes before (head -c, truncate -s), by path. */
  sizes: Map<string, number>;
  /** Byte range [start, end) of each file the script fills in with dd before, by path. */
  writes: Map<string, { start: number; end: number }>;
}

const PROGRAM = /(?:^|[\s;&|(!])(?:node\s+(\S*argo-oss\.cjs)|(?:npx\s+)?argo-oss)\s+(?=[a-z])/;

/** Every argo-oss invocation of a script, expanded with the container env and the script's assignments. */
function cliLines(script: string, containerEnv: Record<string, string>): CliLine[] {
  const env = { ...containerEnv };
  const sizes = new Map<string, number>();
  const writes = new Map<string, { start: number; end: number }>();
  const out: CliLine[] = [];
  for (const line of logicalLines(script)) {
    const assign = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (assign) {
      try {
        const value = shellWords(assign[2], env);
        if (value.length <= 1) {
          env[assign[1]] = value[0] ?? '';
          continue;
        }
      } catch {
        continue; // `rc=$?` and the like: not needed by any argo-oss line
      }
    }
    // Files the script makes before uploading them: `head -c SIZE ... > PATH`, `truncate -s SIZE PATH`,
    // and the ranges it writes into them: `dd of=PATH bs=B seek=S count=N`.
    if (/^(head|truncate|dd)\s/.test(line)) {
      const w = shellWords(line, env);
      if (w[0] === 'dd') {
        const o: Record<string, string> = Object.fromEntries(w.slice(1).map((x) => x.split(/=(.*)/s)));
        const bs = gnuSize(o.bs ?? '512');
        if (o.of && o.count) writes.set(o.of, { start: Number(o.seek ?? 0) * bs, end: (Number(o.seek ?? 0) + Number(o.count)) * bs });
      } else {
        const target = w[0] === 'head' ? /[^>]>\s*(\S+)/.exec(line)?.[1] : w[3];
        if ((w[1] === '-c' || w[1] === '-s') && target) sizes.set(shellWords(target, env)[0], gnuSize(w[2]));
      }
    }
    const m = PROGRAM.exec(line);
    if (m) out.push({ argv: shellWords(line.slice(m.index + m[0].length), env), ...(m[1] ? { bundle: m[1] } : {}), sizes: new Map(sizes), writes: new Map(writes) });
  }
  return out;
}

/** A command's flags from its --help text: name → takes a value. */
function usageFlags(usage: string): Map<string, boolean> {
  const flags = new Map<string, boolean>([['help', false]]);
  for (const m of usage.matchAll(/(?:^|[\s[])--([a-z][a-z-]*)(?:[ =]([A-Z][A-Za-z=|]*|[a-z]+\|[a-z|]+))?/gm)) {
    flags.set(m[1], (flags.get(m[1]) ?? false) || m[2] !== undefined);
  }
  return flags;
}

// ---------------------------------------------------------------------------------------------
// The real CLI against a stub coordinator that records the start request and answers 418

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: StartUploadRequest;
}

let stub: Server;
let stubUrl: string;
let recorded: Recorded[] = [];
let scratch: string;
let scratchCount = 0;

async function startStub(): Promise<void> {
  stub = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      recorded.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) : {} });
      const body = JSON.stringify({ error: { code: 'ExamplesTestStop', message: 'recorded by the examples test' } });
      res.writeHead(418, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  const address = stub.address();
  stubUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

interface UploadRun {
  exit?: number;
  usageError?: string;
  stderr: string;
  requests: Recorded[];
  token: string;
}

/** Runs `argo-oss upload` with local stand-ins for the pod's files (sparse, of the size the script writes). */
async function runUpload(line: CliLine, env: Record<string, string>): Promise<UploadRun> {
  const flags = usageFlags(uploadCommand.usage);
  const argv = line.argv.slice(1);
  const dir = join(scratch, String(++scratchCount));
  await mkdir(dir);
  const token = `pod-token-${scratchCount}`;
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${token}\n`);
  const archive = argv.includes('--archive') && argv[argv.indexOf('--archive') + 1] === 'tgz';
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].startsWith('--') ? argv[i].slice(2).split(/=(.*)/s) : [undefined, undefined];
    if (flag !== undefined) {
      if (flags.get(flag) && inline === undefined) {
        i++;
        if (flag === 'token-file') argv[i] = tokenFile;
        if (flag === 'spool-dir') argv[i] = dir;
      }
      continue;
    }
    const path = join(dir, `source-${i}`);
    if (archive) {
      await mkdir(path);
      await writeFile(join(path, 'file.txt'), 'x');
    } else {
      await writeFile(path, '');
      await truncate(path, line.sizes.get(argv[i]) ?? 1);
    }
    argv[i] = path;
  }
  const saved = { ...process.env };
  for (const k of ['ARGO_OSS_COORDINATOR', 'ARGO_OSS_TOKEN', 'ARGO_OSS_TOKEN_FILE']) delete process.env[k];
  Object.assign(process.env, { ARGO_OSS_COORDINATOR: stubUrl }, env.ARGO_OSS_TOKEN_FILE ? { ARGO_OSS_TOKEN_FILE: tokenFile } : {});
  const coordinatorFlag = argv.indexOf('--coordinator');
  if (coordinatorFlag >= 0) argv[coordinatorFlag + 1] = stubUrl;
  const errors: string[] = [];
  const spies = [vi.spyOn(console, 'error').mockImplementation((...a) => void errors.push(a.join(' '))), vi.spyOn(console, 'log').mockImplementation(() => undefined)];
  const before = recorded.length;
  try {
    return { exit: await uploadCommand.run(argv), stderr: errors.join('\n'), requests: recorded.slice(before), token };
  } catch (err) {
    if (err instanceof UsageError) return { usageError: err.message, stderr: errors.join('\n'), requests: recorded.slice(before), token };
    throw err;
  } finally {
    for (const s of spies) s.mockRestore();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

interface CommandCheck {
  file: string;
  run: PodRun;
  container: Json;
  line: CliLine;
  result?: UploadRun;
}

const commandChecks: CommandCheck[] = [];

function envOf(c: Json): Record<string, string> {
  return Object.fromEntries((c.env ?? []).filter((e: Json) => e.value !== undefined).map((e: Json) => [e.name, String(e.value)]));
}

async function runAllCommandLines(): Promise<void> {
  for (const { file, wf } of workflows) {
    for (const run of podRuns(wf, identOf(wf))) {
      const t = run.template;
      for (const c of [...(t.initContainers ?? []), ...(t.container ? [t.container] : []), ...(t.script ? [t.script] : [])]) {
        for (const line of cliLines(scriptOf(c), envOf(c))) {
          // Pods upload; any other command in a pod is reported by the test (no result to check).
          commandChecks.push({ file, run, container: c, line, result: line.argv[0] === 'upload' ? await runUpload(line, envOf(c)) : undefined });
        }
      }
    }
  }
}

function startsOf(file: string): Array<{ check: CommandCheck; body: StartUploadRequest }> {
  return commandChecks.filter((c) => c.file === file).map((check) => ({ check, body: must(check.result, 'upload run').requests[0].body }));
}

beforeAll(async () => {
  await loadExamples();
  scratch = await mkdtemp(join(tmpdir(), 'argo-oss-examples-'));
  await startStub();
  await runAllCommandLines();
});

afterAll(async () => {
  await new Promise((resolve) => stub?.close(resolve));
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('every example', () => {
  it('is there, and every YAML file parses (multi-document) into Kubernetes objects with apiVersion and kind', () => {
    const names = files.map((f) => f.name);
    for (const n of ['artifact-gc-workflow.yaml', 'gc-success-only-delayed.yaml', 'large-upload-workflow.yaml', 'fan-in-upload-workflow.yaml', 'artifact-repository.yaml', 'kube-eventer-eventbridge.yaml', 'custom-domain.md', 'upload-workflow.yaml', 'rbac.yaml', 'plugin-controller-configmap.yaml', 'plugin-artifact-repository.yaml', 'plugin-argo-server-patch.yaml', 'plugin-rbac.yaml', 'sample-large-output.yaml', 'sample-artifact-gc.yaml']) {
      expect(names).toContain(n);
    }
    for (const f of files.filter((x) => /\.ya?ml$/.test(x.name))) {
      expect(f.docs.length, f.name).toBeGreaterThan(0);
      if (f.name === 'lifecycle-rules.yaml') continue; // argo-oss's own config format, not a manifest
      for (const d of f.docs) {
        expect(typeof d.apiVersion, `${f.name}: ${d.kind}`).toBe('string');
        expect(typeof d.kind, f.name).toBe('string');
      }
    }
    expect(JSON.parse(example('ram-policy.json').text).Statement.length).toBeGreaterThan(0);
  });

  it('names only argo-oss commands and flags that exist (checked against each command\'s --help)', () => {
    const known = new Map(COMMANDS.map((c) => [c.name, usageFlags(c.usage)]));
    let seen = 0;
    for (const f of files) {
      for (const raw of f.text.split('\n')) {
        for (const m of raw.matchAll(/(?:^|[\s`(])(?:node\s+\S*argo-oss\.cjs|(?:npx\s+)?argo-oss)\s+([a-z][a-z-]*)([^`#|>]*)/g)) {
          const flags = known.get(m[1]);
          if (!flags) continue; // prose: "the argo-oss artifact-gc function"
          seen++;
          for (const used of m[2].matchAll(/(?:^|\s)--([a-z][a-z-]*)/g)) expect([...flags.keys()], `${f.name}: ${raw.trim()}`).toContain(used[1]);
        }
      }
    }
    expect(seen).toBeGreaterThan(5);
  });
});

describe('Workflows', () => {
  it('are argoproj.io/v1alpha1 with an entrypoint, template references and volumes that exist', () => {
    expect(workflows.map((w) => w.file).sort()).toEqual(['artifact-gc-workflow.yaml', 'fan-in-upload-workflow.yaml', 'gc-success-only-delayed.yaml', 'large-upload-workflow.yaml', 'sample-artifact-gc.yaml', 'sample-large-output.yaml', 'upload-workflow.yaml']);
    for (const { file, wf } of workflows) {
      expect(wf.apiVersion, file).toBe('argoproj.io/v1alpha1');
      expect(wf.metadata?.name ?? wf.metadata?.generateName, file).toMatch(/^[a-z0-9][-a-z0-9.]*$/);
      const names = (wf.spec?.templates ?? []).map((t: Json) => t.name);
      expect(names, file).toContain(wf.spec?.entrypoint);
      expect(new Set(names).size, `${file}: duplicate template names`).toBe(names.length);
      const volumes = new Set((wf.spec.volumes ?? []).map((v: Json) => v.name));
      for (const t of wf.spec.templates) {
        for (const group of t.steps ?? []) for (const step of group) expect(names, `${file}: step ${step.name}`).toContain(step.template);
        for (const task of t.dag?.tasks ?? []) expect(names, `${file}: task ${task.name}`).toContain(task.template);
        for (const c of [...(t.initContainers ?? []), ...(t.container ? [t.container] : [])]) {
          for (const vm of c.volumeMounts ?? []) expect([...volumes], `${file}: ${t.name}/${c.name ?? 'main'} mounts ${vm.name}`).toContain(vm.name);
        }
        for (const a of t.outputs?.artifacts ?? []) {
          expect(a.name, file).toMatch(/^[-a-zA-Z0-9_]{1,253}$/);
          expect(a.path, `${file}: output ${a.name} needs a path`).toMatch(/^\//);
        }
      }
      // Every {{...}} resolves for every pod the workflow runs (throws on an unknown variable).
      expect(podRuns(wf, identOf(wf)).length, file).toBeGreaterThan(0);
    }
  });

  it("write every output (and log) under the workflow's own namespaced prefix, as the recommended keyFormat does", () => {
    for (const { file, wf } of workflows) {
      const ident = identOf(wf);
      const own = workflowKeyPrefix(CONFIG.workflowKeyPrefix, ident, CONFIG.artifactRoot);
      expect(own, file).toBe(`${ident.namespace}/${ident.name}/`);
      const keys = Object.values(completed(wf, 'Succeeded').status!.nodes!).flatMap((n) => (n.outputs?.artifacts ?? []).map((a) => a.oss!.key!));
      expect(keys.length, file).toBeGreaterThan(0);
      for (const key of keys) expect(key.startsWith(own), `${file}: ${key}`).toBe(true);
    }
  });

  it('run every argo-oss command line through the real CLI: flags valid, the start request well-formed and allowed for the pod', () => {
    expect(commandChecks.length).toBeGreaterThanOrEqual(7); // upload-workflow 2, large 1, fan-in 4
    for (const { file, run, container, line, result } of commandChecks) {
      const what = `${file} (${run.podName}): argo-oss ${line.argv.join(' ')}`;
      expect(line.argv[0], `${what}: pods run argo-oss upload`).toBe('upload');
      if (!result) continue;
      expect(result.usageError, what).toBeUndefined();
      // The stub's 418 stopped it right after the start request: everything before it was accepted.
      expect(result.exit, `${what}\n${result.stderr}`).toBe(1);
      expect(result.stderr, what).toContain('ExamplesTestStop');
      expect(result.requests.map((r) => `${r.method} ${r.url}`), what).toEqual(['POST /uploads']);
      const [start] = result.requests;
      expect(start.headers.authorization, what).toBe(`Bearer ${result.token}`);
      // The key is valid and lies under what the coordinator lets this workflow's pods write.
      expect(validateArtifactKey(start.body.key, CONFIG.artifactRoot), what).toBe(start.body.key);
      const ident = identOf(workflows.find((w) => w.file === file)!.wf);
      expect(start.body.key.startsWith(workflowKeyPrefix(CONFIG.workflowKeyPrefix, ident, CONFIG.artifactRoot)), what).toBe(true);
      expect(() => planUpload({ size: start.body.size ?? null, partSize: start.body.partSize, writers: start.body.writers }), what).not.toThrow();

      // The pod has what the line relies on: the bundle from an init container, the token file from a
      // projected service-account token, a coordinator URL.
      const t = run.template;
      const env = envOf(container);
      const mountOf = (c: Json, path: string) => (c.volumeMounts ?? []).find((m: Json) => path.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
      if (line.bundle) {
        const mount = mountOf(container, line.bundle);
        expect(mount, `${what}: ${line.bundle} is on no volume`).toBeDefined();
        // An init container writes the same file through its own mount of that volume.
        const init = (t.initContainers ?? []).find((ic: Json) =>
          (ic.volumeMounts ?? []).some((m: Json) => m.name === mount.name && [...(ic.command ?? []), ...(ic.args ?? [])].includes(posix.join(m.mountPath, posix.relative(mount.mountPath, line.bundle!)))),
        );
        expect(init, `${what}: no init container puts ${line.bundle} there`).toBeDefined();
      }
      if (env.ARGO_OSS_TOKEN_FILE) {
        const mount = mountOf(container, env.ARGO_OSS_TOKEN_FILE);
        expect(mount, `${what}: ${env.ARGO_OSS_TOKEN_FILE} is on no volume`).toBeDefined();
        const volume = (workflows.find((w) => w.file === file)!.wf.spec.volumes ?? []).find((v: Json) => v.name === mount?.name);
        const source = volume?.projected?.sources?.find((s: Json) => s.serviceAccountToken);
        expect(source?.serviceAccountToken?.path, `${what}: ARGO_OSS_TOKEN_FILE is not a projected service-account token`).toBe(posix.relative(mount.mountPath, env.ARGO_OSS_TOKEN_FILE));
      }
      const coordinator = env.ARGO_OSS_COORDINATOR ?? line.argv[line.argv.indexOf('--coordinator') + 1];
      expect(coordinator, what).toMatch(/^https:\/\/[^/]/);
    }
  });
});

describe('large-upload-workflow.yaml', () => {
  const file = 'large-upload-workflow.yaml';

  it('uploads 20 GiB as the header says: 1,280 parts of 16 MiB, 16 at a time, resumable retries in the pod', () => {
    const starts = startsOf(file);
    expect(starts).toHaveLength(1);
    const [{ check, body }] = starts;
    expect(body.size).toBe(20 * GiB);
    const plan = planUpload({ size: body.size!, partSize: body.partSize, writers: body.writers });
    expect([plan.partCount, plan.partSize]).toEqual([1280, 16 * MiB]);
    expect(check.line.argv).toEqual(expect.arrayContaining(['--concurrency', '16', '--json']));
    const script = scriptOf(check.container);
    expect(script).toMatch(/for attempt in 1 2 3/);
    expect(script).toMatch(/"\$rc" -eq 2/); // usage errors are not retried
    expect(workflowOf(file).spec.volumes.find((v: Json) => v.name === 'work').emptyDir.sizeLimit).toBe('25Gi');
  });

  it('declares an output the Argo UI links: the artifact-files path resolves to the uploaded key, GC reclaims it on deletion', () => {
    const [{ check, body }] = startsOf(file);
    const wf = completed(workflowOf(file), 'Succeeded');
    const route = parseArtifactPath(`/artifact-files/argo/workflows/${wf.metadata.name}/${check.run.nodeId}/outputs/model/${basename(body.key)}`);
    const resolved = resolveArtifact(wf, route, { served: servedStorage(CONFIG), artifactRoot: CONFIG.artifactRoot });
    expect(childKey(resolved.key, route.subPath, CONFIG.artifactRoot)).toBe(body.key);
    // The path Argo's executor uploads from is an empty directory, never the 20 GiB file.
    const model = check.run.template.outputs.artifacts.find((a: Json) => a.name === 'model');
    expect(model.archive).toEqual({ none: {} });
    expect(scriptOf(check.container)).toContain(`mkdir -p ${model.path}`);
    expect(check.line.argv[1]).not.toBe(model.path);

    expect(actions(decisions(wf, 'completed', at(HOUR)))).toEqual({ model: 'defer', 'main-logs': 'defer' });
    const gone = decisions(wf, 'deleted', at(2 * HOUR), undefined, at(2 * HOUR));
    expect(actions(gone)).toEqual({ model: 'delete', 'main-logs': 'delete' });
    expect(body.key.startsWith(targetPrefix(gone.model.target!)!)).toBe(true);
  });
});

describe('fan-in-upload-workflow.yaml', () => {
  const file = 'fan-in-upload-workflow.yaml';

  it('has every writer join one upload: the same identity, and the plan gives writer I exactly the slice it wrote', () => {
    const wf = workflowOf(file);
    const param = (n: string) => Number(wf.spec.arguments.parameters.find((p: Json) => p.name === n).value);
    const [writers, shard, part] = [param('writers'), param('shard-mib') * MiB, param('part-mib') * MiB];
    const starts = startsOf(file);
    expect(starts).toHaveLength(writers);
    // No writer index in the request: every writer's start is the same, so they converge on one upload.
    for (const { body } of starts) expect(body).toEqual(starts[0].body);
    const { body } = starts[0];
    expect(body.writers).toBe(writers);
    expect(body.size).toBe(writers * shard);
    expect(body.partSize).toBe(part);
    expect(body.fingerprint).toBe(identOf(wf).uid);
    const plan = planUpload({ size: body.size!, partSize: body.partSize, writers: body.writers });
    for (const { check } of starts) {
      const writer = Number(check.line.argv[check.line.argv.indexOf('--writer') + 1]);
      // What this pod's dd filled in is exactly the shard the plan gives it: it uploads only real bytes.
      const written = check.line.writes.get(check.line.argv[1]);
      expect(written).toEqual({ start: (writer - 1) * shard, end: writer * shard });
      expect(plan.writers[writer - 1]).toMatchObject({ writer, ...written });
      expect(check.line.sizes.get(check.line.argv[1])).toBe(body.size);
    }
    expect(starts.map(({ check }) => check.line.argv[check.line.argv.indexOf('--writer') + 1]).sort()).toEqual(Array.from({ length: writers }, (_, i) => String(i + 1)));
  });

  it('links the object from every writer node, and GC reclaims it with the workflow', () => {
    const starts = startsOf(file);
    const wf = completed(workflowOf(file), 'Succeeded');
    for (const { check, body } of starts) {
      const route = parseArtifactPath(`/artifact-files/argo/workflows/${wf.metadata.name}/${check.run.nodeId}/outputs/dataset/${basename(body.key)}`);
      const resolved = resolveArtifact(wf, route, { served: servedStorage(CONFIG), artifactRoot: CONFIG.artifactRoot });
      expect(childKey(resolved.key, route.subPath, CONFIG.artifactRoot)).toBe(body.key);
    }
    const plan = planWorkflow(wf, 'deleted', at(HOUR), { ...planOptions(), deletedAt: at(HOUR) });
    const datasets = plan.decisions.filter((d) => d.artifact === 'dataset');
    expect(datasets).toHaveLength(starts.length);
    for (const d of plan.decisions) expect(d.action, `${d.artifact}: ${d.reason}`).toBe('delete');
    expect(starts[0].body.key.startsWith(targetPrefix(datasets[0].target!)!)).toBe(true);
  });
});

describe('artifact-gc-workflow.yaml', () => {
  const file = 'artifact-gc-workflow.yaml';

  it('completion deletes on-completion.txt only; on-deletion.txt and the log are owed until deletion', () => {
    const wf = completed(workflowOf(file), 'Succeeded');
    const name = `${wf.metadata.namespace}/${wf.metadata.name!}`;
    const d = decisions(wf, 'completed', at(60_000));
    expect(actions(d)).toEqual({ 'on-completion': 'delete', 'on-deletion': 'defer', 'main-logs': 'defer' });
    expect(d['on-completion'].key).toBe(`${name}/on-completion.txt`);
    expect(d['on-completion'].location?.source).toBe('repository'); // key-only: the bucket comes from the ConfigMap
    expect(d['on-completion'].strategy).toBe('OnWorkflowCompletion');
    expect(d['on-deletion']).toMatchObject({ key: `${name}/on-deletion.txt`, strategy: 'OnWorkflowDeletion', onDeletion: true });
    expect(d['main-logs']).toMatchObject({ strategy: 'OnWorkflowDeletion', onDeletion: true, log: true });
    expect(d['main-logs'].key).toMatch(new RegExp(`^${name}/${wf.metadata.name!}-main-\\d+/main\\.log$`));
  });

  it('deletion (after the completion was handled) deletes on-deletion.txt and the log', () => {
    const wf = markDeleted(completed(workflowOf(file), 'Succeeded'), ['on-completion']);
    const d = decisions(wf, 'deleted', at(2 * HOUR), undefined, at(2 * HOUR));
    expect(actions(d)).toEqual({ 'on-completion': 'skip', 'on-deletion': 'delete', 'main-logs': 'delete' });
  });

  it('ignores the phase, as Argo does: a Failed run is reclaimed the same way', () => {
    const d = decisions(completed(workflowOf(file), 'Failed'), 'completed', at(60_000));
    expect(actions(d)).toEqual({ 'on-completion': 'delete', 'on-deletion': 'defer', 'main-logs': 'defer' });
  });
});

describe('gc-success-only-delayed.yaml', () => {
  const file = 'gc-success-only-delayed.yaml';

  it('a Succeeded run: report and log due 24h after completion, the Never artifact kept', () => {
    const wf = completed(workflowOf(file), 'Succeeded');
    const early = decisions(wf, 'completed', at(60_000));
    expect(actions(early)).toEqual({ report: 'defer', summary: 'keep', 'main-logs': 'defer' });
    expect(early.report.dueAt).toBe(at(24 * HOUR).toISOString());
    expect(early['main-logs'].dueAt).toBe(at(24 * HOUR).toISOString());
    expect(early.report.key).toMatch(/\/report\.tgz$/);
    expect(actions(decisions(wf, 'completed', at(24 * HOUR - 1)))).toEqual({ report: 'defer', summary: 'keep', 'main-logs': 'defer' });
    expect(actions(decisions(wf, 'completed', at(24 * HOUR)))).toEqual({ report: 'delete', summary: 'keep', 'main-logs': 'delete' });
  });

  it('a Failed (or Error) run keeps everything, at completion and at deletion', () => {
    for (const phase of ['Failed', 'Error'] as const) {
      const wf = completed(workflowOf(file), phase);
      for (const d of [decisions(wf, 'completed', at(48 * HOUR)), decisions(wf, 'deleted', at(48 * HOUR), undefined, at(HOUR))]) {
        expect(actions(d)).toEqual({ report: 'keep', summary: 'keep', 'main-logs': 'keep' });
        expect(d.report.reason).toContain('gc-when Succeeded (annotation)');
      }
    }
  });

  it('precedence: the annotations win over the function configuration, which applies without them', () => {
    const wf = completed(workflowOf(file), 'Succeeded');
    const config: GcDefaults = { when: 'Failed', delaySeconds: 3600 };
    const plan = planWorkflow(wf, 'completed', at(60_000), planOptions(config));
    expect(plan.policy).toEqual({ when: 'Succeeded', delaySeconds: 86_400, whenSource: 'annotation', delaySource: 'annotation' });
    const bare = structuredClone(wf);
    delete bare.metadata.annotations;
    expect(planWorkflow(bare, 'completed', at(60_000), planOptions(config)).policy).toMatchObject({ when: 'Failed', delaySeconds: 3600, whenSource: 'config' });
    expect(actions(decisions(bare, 'completed', at(60_000), config))).toEqual({ report: 'keep', summary: 'keep', 'main-logs': 'keep' });
    expect(planWorkflow(bare, 'completed', at(60_000), planOptions()).policy).toMatchObject({ when: 'Always', delaySeconds: 0 });
  });

  it('a bad annotation value refuses the whole workflow instead of guessing', () => {
    const wf = completed(workflowOf(file), 'Succeeded');
    wf.metadata.annotations = { ...wf.metadata.annotations, 'argo-oss-artifacts/gc-delay': 'soon' };
    const plan = planWorkflow(wf, 'completed', at(48 * HOUR), planOptions());
    expect(plan.notPlannable).toMatchObject({ refused: true });
    expect(plan.decisions).toEqual([]);
  });
});

describe('artifact-repository.yaml', () => {
  it('is the repository the functions serve by default: same bucket as s.yaml, a served endpoint, keys the coordinator allows', async () => {
    const repo = repository();
    const sYaml = await readFile(join(ROOT, 's.yaml'), 'utf8');
    const bucketDefault = /bucket:\s*\$\{env\('OSS_BUCKET',\s*'([^']+)'\)\}/.exec(sYaml)?.[1];
    expect(repo.oss?.bucket).toBe(bucketDefault);
    expect(repo.oss?.bucket).toBe(CONFIG.ossBucket);
    expect(() => assertServed({ bucket: repo.oss!.bucket!, endpoint: repo.oss!.endpoint!, key: 'k', source: 'repository' }, servedStorage(CONFIG))).not.toThrow();
    expect(repo.oss?.endpoint).toMatch(/^https:\/\/oss-[a-z0-9-]+-internal\.aliyuncs\.com$/);
    const wf = { name: 'wf-x7k2p', namespace: 'argo' };
    // The recommended keyFormat: namespace first, so every key lies under its namespace's prefix.
    expect(repo.oss?.keyFormat).toBe('{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}');
    const key = substitute(repo.oss!.keyFormat!, { 'workflow.namespace': wf.namespace, 'workflow.name': wf.name, 'pod.name': `${wf.name}-main-1` });
    expect(key.startsWith(workflowKeyPrefix(CONFIG.workflowKeyPrefix, wf, CONFIG.artifactRoot))).toBe(true);
    expect(key.startsWith(namespacePrefix(CONFIG, wf.namespace)!)).toBe(true);
    expect(repo.archiveLogs).toBe(true);
    expect(repo.oss?.lifecycleRule).toBeUndefined(); // Argo's driver would overwrite the bucket's rules
    const cm = example('artifact-repository.yaml').docs[0];
    expect(cm.data).toHaveProperty(cm.metadata.annotations['workflows.argoproj.io/default-artifact-repository']);
  });
});

describe('kube-eventer-eventbridge.yaml', () => {
  const f = () => example('kube-eventer-eventbridge.yaml');
  const doc = (kind: string) => must(f().docs.find((d) => d.kind === kind), kind);
  const deployment = () => doc('Deployment');

  it('runs kube-eventer with an EventBridge sink on the default bus, credentials from a Secret, RBAC to watch events', () => {
    const c = deployment().spec.template.spec.containers[0];
    const sink = (c.command as string[]).find((a) => a.startsWith('--sink=eventbridge:'));
    expect(sink).toBeDefined();
    expect((c.command as string[]).some((a) => a.startsWith('--source=kubernetes:'))).toBe(true);
    const q = new URL(sink!.slice('--sink=eventbridge:'.length)).searchParams;
    expect(q.get('clusterId')).toMatch(/^c[0-9a-f]+$/);
    expect(q.get('regionId')).toBe(CONFIG.ossRegion);
    expect(q.get('eventBusName') ?? 'default').toBe('default'); // the trigger's eventSourceType Default
    const env = new Map((c.env as Json[]).map((e) => [e.name, e]));
    for (const k of ['AccessKeyId', 'AccessKeySecret']) expect(env.get(k)?.valueFrom?.secretKeyRef?.key).toBe(k);
    const sa = deployment().spec.template.spec.serviceAccountName;
    expect(f().docs.some((d) => d.kind === 'ServiceAccount' && d.metadata.name === sa)).toBe(true);
    const role = doc('ClusterRole');
    expect(role.rules[0]).toMatchObject({ apiGroups: [''], resources: ['events'] });
    expect(role.rules[0].verbs).toEqual(expect.arrayContaining(['get', 'list', 'watch']));
    const binding = doc('ClusterRoleBinding');
    expect(binding.subjects[0]).toMatchObject({ kind: 'ServiceAccount', name: sa, namespace: deployment().metadata.namespace });
  });

  it("a workflow completion as the sink sends it passes s.yaml's filter and reaches GC; other events do not", async () => {
    const sYaml = parse(await readFile(join(ROOT, 's.yaml'), 'utf8'));
    const trigger = sYaml.resources.artifact_gc.props.triggers.find((t: Json) => t.triggerType === 'eventbridge');
    expect(trigger.triggerConfig.eventSourceConfig.eventSourceType).toBe('Default');
    const pattern = JSON.parse(trigger.triggerConfig.eventRuleFilterPattern);
    // The comment shows the same pattern.
    const shown = /eventRuleFilterPattern: '([^']+)'/.exec(f().text)?.[1];
    expect(JSON.parse(shown!)).toEqual(pattern);

    const q = new URL((deployment().spec.template.spec.containers[0].command as string[]).find((a) => a.startsWith('--sink=eventbridge:'))!.slice(19)).searchParams;
    // kube-eventer's sinks/eventbridge: source acs.cs, type cs:k8s:<kind>RelatedEvent, data = the v1.Event.
    const event = (reason: string, kind = 'Workflow') => ({
      specversion: '1.0',
      id: `evt-${reason}`,
      source: 'acs.cs',
      type: `cs:k8s:${kind}RelatedEvent`,
      subject: `acs:cs:${q.get('regionId')}:1234567890:${q.get('clusterId')}/apis/argoproj.io/v1alpha1/namespaces/argo/workflows/wf-x7k2p`,
      datacontenttype: 'application/json',
      aliyuneventbusname: q.get('eventBusName') ?? 'default',
      data: {
        metadata: { name: 'wf-x7k2p.17a', namespace: 'argo' },
        reason,
        type: 'Normal',
        involvedObject: { kind, namespace: 'argo', name: 'wf-x7k2p', uid: 'u-1', apiVersion: 'argoproj.io/v1alpha1' },
      },
    });
    expect([event('WorkflowSucceeded').source, event('WorkflowSucceeded').type]).toEqual([KUBE_EVENTER_SOURCE, WORKFLOW_EVENT_TYPE]);
    for (const reason of ['WorkflowSucceeded', 'WorkflowFailed']) {
      expect(matches(pattern, event(reason)), reason).toBe(true);
      expect(parseGcPayload(Buffer.from(JSON.stringify(event(reason))))).toEqual([{ kind: 'workflow-event', id: `evt-${reason}`, namespace: 'argo', name: 'wf-x7k2p', uid: 'u-1', reason }]);
    }
    expect(matches(pattern, event('WorkflowRunning'))).toBe(false);
    expect(matches(pattern, event('WorkflowTimedOut'))).toBe(false); // a warning before WorkflowFailed
    expect(matches(pattern, event('WorkflowNodeSucceeded'))).toBe(false);
    expect(matches(pattern, event('Started', 'Pod'))).toBe(false);
  });
});

/** EventBridge pattern matching for the exact-value subset s.yaml uses: arrays are OR, keys are AND. */
function matches(pattern: Json, event: Json): boolean {
  return Object.entries(pattern).every(([k, want]) => {
    const got = event?.[k];
    if (Array.isArray(want)) {
      if (want.some((w) => typeof w === 'object')) throw new Error(`pattern operator in ${k}: not simulated`);
      return want.includes(got);
    }
    return typeof got === 'object' && got !== null && matches(want as Json, got);
  });
}

describe('custom-domain.md', () => {
  it('its ingress sends exactly the paths the function serves to the function and leaves the rest to Argo Server', () => {
    const blocks = [...example('custom-domain.md').text.matchAll(/```yaml\n([\s\S]*?)```/g)].flatMap((m) => parseAllDocuments(m[1]).map((d) => d.toJS()));
    const service = blocks.find((d) => d.kind === 'Service' && d.spec?.type === 'ExternalName');
    const ingress = blocks.find((d) => d.kind === 'Ingress' && d.spec.rules[0].http.paths.every((p: Json) => p.backend.service.name === service.metadata.name));
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/upstream-vhost']).toBe(service.spec.externalName);
    expect(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-buffering']).toBe('off');
    const regexes = ingress.spec.rules[0].http.paths.map((p: Json) => new RegExp(`^${p.path}`, 'i'));
    const toFunction = (path: string) => regexes.some((r: RegExp) => r.test(path));
    const served = (path: string) => {
      try {
        parseArtifactPath(path);
        return true;
      } catch {
        return false;
      }
    };
    const paths = [
      '/artifact-files/argo/workflows/wf-x7k2p/wf-x7k2p-1/outputs/model/model.bin',
      '/artifact-files/argo/workflows/wf-x7k2p/wf-x7k2p-1/outputs/report/',
      '/artifacts/argo/wf-x7k2p/wf-x7k2p-1/report',
      '/input-artifacts/argo/wf-x7k2p/wf-x7k2p-1/data',
      '/artifact-files/argo/archived-workflows/5b7c1f0e/wf-x7k2p-1/outputs/report',
      '/artifacts-by-uid/5b7c1f0e/wf-x7k2p-1/report',
      '/input-artifacts-by-uid/5b7c1f0e/wf-x7k2p-1/data',
      '/workflows/argo/wf-x7k2p',
      '/api/v1/workflows/argo',
      '/',
    ];
    for (const p of paths) expect(toFunction(p), p).toBe(served(p));
    expect(toFunction('/share')).toBe(true);
    expect(toFunction('/shared/x')).toBe(false);
    expect(served('/artifact-files/argo/workflows/wf-x7k2p/wf-x7k2p-1/outputs/model/model.bin')).toBe(true);
  });
});

describe('sample-*.yaml (the managed service\'s sample workflows, verbatim)', () => {
  // Byte-identical copies of its two samples: users run exactly these through the artifact plugin
  // (docs/plugin.md). Edit nothing in them; the digests are of the originals.
  it.each([
    ['sample-large-output.yaml', 'b5dce03488fcd0a359c82b05ec41f60c04b12ca94f65237b7afaf4ff02e65b2d'],
    ['sample-artifact-gc.yaml', 'aac1487225922105762e7efa0066092a312c69636fbde2541fb5d594eb980fa3'],
  ])('%s is unchanged', (name, sha) => {
    expect(createHash('sha256').update(example(name).text).digest('hex')).toBe(sha);
  });
});

describe('plugin-*.yaml (the artifact plugin, Argo >= 4.0; docs/plugin.md)', () => {
  const controller = () => must(example('plugin-controller-configmap.yaml').docs.find((d) => d.kind === 'ConfigMap'), 'controller ConfigMap');
  const drivers = () => parse(controller().data.artifactDrivers) as Json[];
  const serverPatch = () => must(example('plugin-argo-server-patch.yaml').docs.find((d) => d.kind === 'Deployment'), 'argo-server Deployment patch');
  const socketDir = '/tmp/artifact-plugins/argo-oss';

  it('the controller runs one plugin under the name the functions serve; argo-server runs the identical image beside it', async () => {
    const cm = controller();
    expect(cm.metadata).toMatchObject({ name: 'workflow-controller-configmap', namespace: 'argo' });
    const [driver, ...others] = drivers();
    expect(others).toEqual([]);
    expect(Object.keys(driver).sort()).toEqual(['connectionTimeoutSeconds', 'image', 'name']); // Argo's ArtifactDriver has exactly these
    expect(driver.name).toBe(CONFIG.pluginName);
    expect(Number.isInteger(driver.connectionTimeoutSeconds)).toBe(true);
    const version = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version;
    expect(driver.image).toMatch(new RegExp(`^[a-z0-9.-]+(/[a-z0-9._-]+)+:${version.replace(/\./g, '\\.')}$`));
    // The entrypoint Argo uses for the plugin container (it appends the socket path), as the image has it.
    const images = parse(cm.data.images) as Record<string, Json>;
    expect(Object.keys(images)).toEqual([driver.image]);
    const entrypoint = images[driver.image].entrypoint as string[];
    expect(entrypoint.at(-1)).toBe('plugin');
    const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(await readFile(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(JSON.parse(must(line?.[1], 'the Dockerfile ENTRYPOINT'))).toEqual(entrypoint);

    // argo-server: a sidecar with exactly that image string, the socket path as its argument, the socket
    // directory an emptyDir shared with the argo-server container.
    const spec = serverPatch().spec.template.spec;
    expect(serverPatch().metadata).toMatchObject({ name: 'argo-server', namespace: 'argo' });
    const sidecar = must(spec.containers.find((c: Json) => c.image === driver.image), 'a container with the driver image');
    expect(sidecar.args).toEqual([`${socketDir}/socket`]);
    expect(sidecar.command).toBeUndefined(); // the image's entrypoint, as in workflow pods
    const volume = must(spec.volumes.find((v: Json) => v.name === `artifact-plugin-${driver.name}`), 'the socket volume');
    expect(volume.emptyDir).toEqual({});
    const server = must(spec.containers.find((c: Json) => c.name === 'argo-server'), 'the argo-server container');
    for (const c of [server, sidecar]) expect(c.volumeMounts, c.name).toContainEqual({ name: volume.name, mountPath: socketDir });
    expect(sidecar.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
    // A read-only root filesystem needs a writable /tmp.
    if (sidecar.securityContext.readOnlyRootFilesystem) expect(sidecar.volumeMounts.map((m: Json) => m.mountPath)).toContain('/tmp');
  });

  it('the default repository: the plugin by name, a namespaced keyFormat, a configuration the plugin accepts naming only what the functions serve', () => {
    const cm = must(example('plugin-artifact-repository.yaml').docs.find((d) => d.kind === 'ConfigMap'), 'ConfigMap');
    expect(cm.metadata.name).toBe('artifact-repositories');
    const repo = repository('plugin-artifact-repository.yaml');
    expect(Object.keys(repo).sort()).toEqual(['archiveLogs', 'plugin']);
    expect(repo.archiveLogs).toBe(true);
    const plugin = repo.plugin as Json;
    expect(plugin.name).toBe(drivers()[0].name);
    const config = parsePluginConfiguration(plugin.configuration); // throws naming a bad or unknown (secret) field
    expect(config.coordinator).toMatch(/^https:\/\//);
    expect(config.bucket).toBe(CONFIG.ossBucket);
    expect(() => assertServed({ bucket: config.bucket, endpoint: config.endpoint, key: 'k', source: 'repository' }, servedStorage(CONFIG))).not.toThrow();
    // Every pod's archive key lies under its own workflow's prefix (the tenancy default), which lies under its namespace's.
    for (const wf of [{ name: 'wf-x7k2p', namespace: 'argo' }, { name: 'wf-x7k2p', namespace: 'team-b' }]) {
      const key = substitute(plugin.keyFormat, { 'workflow.name': wf.name, 'workflow.namespace': wf.namespace, 'pod.name': `${wf.name}-main-1` });
      expect(key.startsWith(workflowKeyPrefix(DEFAULT_WORKFLOW_KEY_PREFIX, wf, CONFIG.artifactRoot))).toBe(true);
      expect(key.startsWith(`${CONFIG.artifactRoot}${wf.namespace}/`)).toBe(true);
    }
  });

  it('RBAC (rbac.yaml + plugin-rbac.yaml): the coordinator may check plugin callers (pods, their Workflow or GC task owners, tokens, access reviews); Argo GC pods read their tasks', () => {
    const docs = [...example('rbac.yaml').docs, ...example('plugin-rbac.yaml').docs];
    const rulesBoundTo = (sa: { name: string; namespace: string }) => {
      const out: Json[] = [];
      for (const b of docs.filter((d) => d.kind === 'ClusterRoleBinding' || d.kind === 'RoleBinding')) {
        if (!b.subjects.some((s: Json) => s.kind === 'ServiceAccount' && s.name === sa.name && s.namespace === sa.namespace)) continue;
        const role = must(docs.find((d) => d.kind === b.roleRef.kind && d.metadata.name === b.roleRef.name), `role ${b.roleRef.name}`);
        out.push(...role.rules);
      }
      return out;
    };
    const allows = (rules: Json[], group: string, resource: string, verb: string) => rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    const coordinator = rulesBoundTo({ name: 'argo-oss-functions', namespace: 'argo-oss' });
    for (const [group, resource, verb] of [
      ['authentication.k8s.io', 'tokenreviews', 'create'],
      ['authorization.k8s.io', 'subjectaccessreviews', 'create'],
      ['', 'pods', 'get'],
      ['argoproj.io', 'workflows', 'get'],
      ['argoproj.io', 'workflowartifactgctasks', 'get'],
    ]) {
      expect(allows(coordinator, group, resource, verb), `${verb} ${resource}`).toBe(true);
    }
    // plugin-rbac.yaml gives the coordinator nothing more: examples/rbac.yaml is all it needs.
    expect(example('plugin-rbac.yaml').docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'ClusterRoleBinding')).toEqual([]);
    const gcPods = rulesBoundTo({ name: 'default', namespace: 'argo' });
    expect(allows(gcPods, 'argoproj.io', 'workflowartifactgctasks', 'list')).toBe(true);
    expect(allows(gcPods, 'argoproj.io', 'workflowartifactgctasks/status', 'patch')).toBe(true);
  });

  it('the sample workflows, run on paper with the plugin repository, are served and reclaimed exactly as with the oss repository', () => {
    const plugin = repository('plugin-artifact-repository.yaml');
    const oss = structuredClone(repository());
    oss.oss = { ...oss.oss, keyFormat: (plugin.plugin as Json).keyFormat };
    const gc = (repo: ArtifactLocation) => {
      const wf = completed(workflowOf('sample-artifact-gc.yaml'), 'Succeeded', repo);
      const strip = (d: ArtifactDecision) => ({ action: d.action, key: d.key, strategy: d.strategy, source: d.location?.source });
      const completion = Object.fromEntries(Object.entries(decisions(wf, 'completed', at(60_000))).map(([k, d]) => [k, strip(d)]));
      const deletion = Object.fromEntries(Object.entries(decisions(markDeleted(wf, ['on-completion']), 'deleted', at(2 * HOUR), undefined, at(2 * HOUR))).map(([k, d]) => [k, strip(d)]));
      return { completion, deletion };
    };
    const viaPlugin = gc(plugin);
    expect(viaPlugin).toEqual(gc(oss));
    expect(actions(viaPlugin.completion as never)).toEqual({ 'on-completion': 'delete', 'on-deletion': 'defer', 'main-logs': 'defer' });
    expect(actions(viaPlugin.deletion as never)).toEqual({ 'on-completion': 'skip', 'on-deletion': 'delete', 'main-logs': 'delete' });
    expect(viaPlugin.completion['on-completion'].key).toMatch(/^argo\/artifact-gc-x7k2p\/artifact-gc-x7k2p-main-\d+\/on-completion\.tgz$/);

    // The 20 GiB output: its Argo UI link resolves to the key the executor saved it under, on the served bucket.
    const wf = completed(workflowOf('sample-large-output.yaml'), 'Succeeded', plugin);
    const node = must(Object.values(wf.status!.nodes!).find((n) => n.type === 'Pod'), 'the pod node');
    const resolved = resolveArtifact(wf, parseArtifactPath(`/artifacts/argo/${wf.metadata.name}/${node.id}/out`), { served: servedStorage(CONFIG), artifactRoot: CONFIG.artifactRoot });
    expect(resolved.key).toBe(`argo/${wf.metadata.name}/${node.name}/out.tgz`);
    expect(resolved.location).toMatchObject({ source: 'repository', plugin: CONFIG.pluginName, bucket: CONFIG.ossBucket });
    // No artifactGC in it: kept, as Argo keeps it.
    expect(actions(decisions(wf, 'deleted', at(HOUR), undefined, at(HOUR)))).toEqual({ out: 'keep', 'main-logs': 'keep' });
  });
});
