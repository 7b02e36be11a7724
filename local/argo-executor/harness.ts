// An executor harness: runs a Workflow manifest, unchanged, the way Argo's controller and executor
// handle its artifacts when the artifact repository is a plugin — against a real plugin process on a
// Unix socket, in the local cluster. For tests and the demo; it runs no container images: what a
// main container does is the caller's `main` function, on a directory that stands for the
// container's filesystem.
//
// For every pod (a container or script template, reached through steps and DAG tasks):
//   1. the controller's part: a Pod controller-owned by the Workflow (name and uid), a pod-bound
//      service-account token in tokens.yaml, and the pod's plugin sidecar started with that token
//      (`startPlugin`, e.g. `argo-oss plugin <dir>/tmp/artifact-plugins/<name>/socket`);
//   2. the init container's part: every input artifact `Load`ed into `<name>.tmp`, then untarred or
//      renamed to its path (archive.ts);
//   3. `main`, whose output is the container log;
//   4. the wait container's part: every output staged (tar+gzip `<name>.tgz` by default, `archive:
//      none` as the file or directory) and `Save`d with its final key, `<archive key>/<file>`; then
//      the log as `main-logs`, key `<archive key>/main.log`, when the repository archives logs;
//   5. the node's outputs written into the Workflow's status as Argo records them: `plugin: {key}`
//      only, the name and configuration staying in status.artifactRepositoryRef.
// The archive key is the repository's keyFormat (default `{{workflow.name}}/{{pod.name}}`) with
// {{workflow.*}} and {{pod.name}} substituted, as the controller does in the pod spec.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Artifact, ArtifactLocation, NodeStatus, PluginLocation, Template, Workflow } from '../../shared/argo';
import type { TokenSpec } from '../kube-api';
import { workflowPodManifest } from '../kube-api/argo-objects';
import type { KubeObject } from '../kube-api/types';
import { ArtifactNotFoundError, stageOutput, unpackInput, type ArchiveStrategy } from './archive';
import { ArtifactPluginClient, type ArtifactMessage } from './client';
import { generatedName, nodeId, podName, substitute } from './names';

/** status.artifactRepositoryRef.artifactRepository with a plugin: what the harness drives. */
export interface PluginRepository {
  archiveLogs?: boolean;
  plugin: { name: string; keyFormat?: string; configuration: string };
}

/** Where manifests and tokens go: the local cluster directory (DemoCluster, the tests' TestKubeApi). */
export interface HarnessCluster {
  writeWorkflow(wf: Workflow): Promise<unknown>;
  writePod(pod: KubeObject & { metadata: { name: string; namespace: string } }): Promise<unknown>;
  addTokens(entries: TokenSpec[]): Promise<unknown>;
}

export interface PodInfo {
  namespace: string;
  workflow: { name: string; uid: string };
  name: string;
  uid: string;
  nodeId: string;
  /** The pod's template, {{workflow.*}} and {{pod.name}} substituted. */
  template: Template;
  /** The pod's own directory (plugin socket, staging, token). */
  dir: string;
  /** The main container's filesystem: container path P is `join(root, P)`. */
  root: string;
  /** Its pod-bound service-account token, and the file holding it (what the kubelet projects). */
  token: string;
  tokenFile: string;
}

export interface MainResult {
  /** Default 0. */
  exitCode?: number;
  /** What the container printed (stdout and stderr): archived as main.log. */
  log?: string | Buffer;
}

/** What the main container does; files it writes go under `pod.root`. */
export type MainFunction = (pod: PodInfo) => Promise<MainResult | void>;

export interface PluginSidecar {
  stop(): Promise<void>;
}

/** Starts the pod's plugin sidecar serving `socket` with the pod's token; resolved once it serves or may. */
export type StartPlugin = (pod: PodInfo, socket: string) => Promise<PluginSidecar>;

export interface RunOptions {
  /** The Workflow as written (metadata.name or generateName, spec); never modified. */
  manifest: Workflow;
  cluster: HarnessCluster;
  /** Pods' directories go here. */
  workDir: string;
  repository: PluginRepository;
  /** ConfigMap and key the repository came from (recorded in status.artifactRepositoryRef). */
  repositoryRef?: { configMap: string; key: string };
  startPlugin: StartPlugin;
  main: MainFunction;
  namespace?: string;
  /** Default: metadata.name, else generateName plus a random suffix. */
  name?: string;
  serviceAccountName?: string;
  log?: (line: string) => void;
  /** Keep the pods' directories (default: removed when the pod is done). */
  keepPodDirs?: boolean;
}

export interface PodRun {
  nodeId: string;
  podName: string;
  phase: 'Succeeded' | 'Failed';
  /** The artifacts as recorded in the status (outputs, then logs). */
  outputs: Artifact[];
  /** Save calls that succeeded: the local path given, the final key, the bytes of a file (not a directory), the time taken. */
  saves: Array<{ artifact: string; path: string; key: string; bytes?: number; seconds: number }>;
  errors: string[];
}

export interface RunResult {
  workflow: Workflow;
  pods: PodRun[];
}

const WORKFLOW_LABEL_COMPLETED = 'workflows.argoproj.io/completed';
const WORKFLOW_LABEL_PHASE = 'workflows.argoproj.io/phase';
const DEFAULT_KEY_FORMAT = '{{workflow.name}}/{{pod.name}}';

function deepSubstitute<T>(value: T, vars: Record<string, string>): T {
  if (typeof value === 'string') return substitute(value, vars) as T;
  if (Array.isArray(value)) return value.map((v) => deepSubstitute(v, vars)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deepSubstitute(v, vars)])) as T;
  return value;
}

/** Argo's PluginArtifact.HasLocation without the key. */
function hasPluginLocation(p: PluginLocation | undefined): p is PluginLocation & { name: string; configuration: string } {
  return typeof p?.name === 'string' && p.name !== '' && typeof p.configuration === 'string' && p.configuration !== '';
}

const hasKey = (a: Artifact) => typeof a.plugin?.key === 'string' && a.plugin.key !== '';

/** FindOverlappingVolume + the input-artifact check of isBaseImagePath. */
function isBaseImagePath(template: Template, path: string): boolean {
  const c = (template.container ?? template.script) as { volumeMounts?: Array<{ mountPath?: string }> } | undefined;
  const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir.replace(/\/+$/, '')}/`);
  if ((c?.volumeMounts ?? []).some((m) => typeof m.mountPath === 'string' && under(path, m.mountPath))) return false;
  for (const input of ((template.inputs as { artifacts?: Artifact[] } | undefined)?.artifacts ?? [])) {
    if (typeof input.path === 'string' && under(path, input.path)) return input.optional === true && !hasKey(input) ? true : false;
  }
  return true;
}

interface ArchiveLocation {
  archiveLogs: boolean;
  plugin: { name: string; configuration: string; key: string; connectionTimeoutSeconds?: number };
}

class WorkflowRun {
  readonly name: string;
  readonly namespace: string;
  readonly uid = randomUUID();
  readonly wf: Workflow;
  readonly pods: PodRun[] = [];
  private podCount = 0;
  private readonly log: (line: string) => void;

  constructor(private readonly o: RunOptions) {
    const meta = o.manifest.metadata ?? {};
    this.name = o.name ?? meta.name ?? generatedName(String((meta as { generateName?: string }).generateName ?? 'workflow-'));
    this.namespace = o.namespace ?? meta.namespace ?? 'argo';
    this.log = o.log ?? (() => undefined);
    const now = new Date().toISOString();
    this.wf = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: {
        ...structuredClone(meta),
        name: this.name,
        namespace: this.namespace,
        uid: this.uid,
        creationTimestamp: now,
        labels: { ...(meta.labels ?? {}), [WORKFLOW_LABEL_COMPLETED]: 'false', [WORKFLOW_LABEL_PHASE]: 'Running' },
      },
      spec: structuredClone(o.manifest.spec),
      status: {
        phase: 'Running',
        startedAt: now,
        nodes: {},
        artifactRepositoryRef: { ...(o.repositoryRef ?? { configMap: 'artifact-repositories', key: 'default-v1' }), namespace: this.namespace, artifactRepository: structuredClone(o.repository) as ArtifactLocation },
      },
    };
    delete (this.wf.metadata as { generateName?: string }).generateName;
  }

  private get nodes(): Record<string, NodeStatus> {
    return this.wf.status!.nodes!;
  }

  private template(name: string): Template {
    const t = this.wf.spec?.templates?.find((x) => x.name === name);
    if (!t) throw new Error(`template ${JSON.stringify(name)} not found in the workflow`);
    return t;
  }

  private vars(pod?: string): Record<string, string> {
    return { 'workflow.name': this.name, 'workflow.namespace': this.namespace, 'workflow.uid': this.uid, ...(pod ? { 'pod.name': pod } : {}) };
  }

  private async save(): Promise<void> {
    await this.o.cluster.writeWorkflow(this.wf);
  }

  async run(): Promise<RunResult> {
    await this.save();
    const entry = this.wf.spec?.entrypoint;
    if (typeof entry !== 'string' || entry === '') throw new Error('the workflow has no spec.entrypoint');
    const root = await this.visit(entry, this.name, [], undefined);
    const phase = root.phase === 'Succeeded' ? 'Succeeded' : 'Failed';
    const status = this.wf.status!;
    status.phase = phase;
    status.finishedAt = new Date().toISOString();
    if (root.message) status.message = root.message;
    this.wf.metadata.labels = { ...this.wf.metadata.labels, [WORKFLOW_LABEL_COMPLETED]: 'true', [WORKFLOW_LABEL_PHASE]: phase };
    await this.save();
    return { workflow: structuredClone(this.wf), pods: this.pods };
  }

  /** Runs template `name` as node `nodeName` with `inputs` (input artifacts already resolved). */
  private async visit(name: string, nodeName: string, inputs: Artifact[], boundaryID: string | undefined): Promise<NodeStatus> {
    const t = this.template(name);
    const id = nodeId(this.name, nodeName);
    const displayName = nodeName === this.name ? this.name : nodeName.slice(nodeName.lastIndexOf('.') + 1);
    const base: NodeStatus = { id, name: nodeName, displayName, templateName: name, templateScope: `local/${this.name}`, startedAt: new Date().toISOString(), phase: 'Running', ...(boundaryID ? { boundaryID } : {}) };
    if (Array.isArray(t.steps)) return this.steps(t, base);
    if (Array.isArray((t.dag as { tasks?: unknown[] } | undefined)?.tasks)) return this.dag(t, base);
    if (t.container || t.script) return this.pod(t, base, inputs);
    throw new Error(`template ${name}: only container, script, steps and dag templates are supported by this harness`);
  }

  private async finish(node: NodeStatus, phase: string, message?: string): Promise<NodeStatus> {
    Object.assign(node, { phase, finishedAt: new Date().toISOString(), ...(message ? { message } : {}) });
    this.nodes[node.id!] = node;
    await this.save();
    return node;
  }

  /** `{{steps.X.outputs.artifacts.Y}}` / `{{tasks.X.outputs.artifacts.Y}}` → that output, renamed to the input. */
  private resolveArguments(args: Array<Artifact & { from?: string }> | undefined, scope: string, done: Map<string, NodeStatus>): Artifact[] {
    return (args ?? []).map((a) => {
      if (typeof a.from !== 'string') return structuredClone(a);
      const m = new RegExp(`^\\{\\{\\s*${scope}\\.([^.]+)\\.outputs\\.artifacts\\.([^.}\\s]+)\\s*\\}\\}$`).exec(a.from);
      if (!m) throw new Error(`argument ${a.name}: from ${JSON.stringify(a.from)} is not a ${scope}.<name>.outputs.artifacts.<name> reference this harness resolves`);
      const out = done.get(m[1])?.outputs?.artifacts?.find((x) => x.name === m[2]);
      if (!out) throw new Error(`argument ${a.name}: ${a.from} names no output that was saved`);
      const { from: _from, ...rest } = a;
      const { name: _n, path: _p, artifactGC: _g, deleted: _d, ...location } = out;
      return { ...rest, ...structuredClone(location), name: a.name };
    });
  }

  private async steps(t: Template, node: NodeStatus): Promise<NodeStatus> {
    node.type = 'Steps';
    this.nodes[node.id!] = node;
    const done = new Map<string, NodeStatus>();
    const groups = t.steps as Array<Array<{ name: string; template: string; arguments?: { artifacts?: Artifact[] } }>>;
    let failed: string | undefined;
    node.children = [];
    for (let i = 0; i < groups.length && !failed; i++) {
      const groupName = `${node.name}[${i}]`;
      const group: NodeStatus = { id: nodeId(this.name, groupName), name: groupName, displayName: `[${i}]`, type: 'StepGroup', templateScope: node.templateScope, boundaryID: node.id, phase: 'Running', startedAt: new Date().toISOString(), children: [] };
      (node.children as string[]).push(group.id!);
      this.nodes[group.id!] = group;
      for (const step of groups[i]) {
        const child = await this.visit(step.template, `${groupName}.${step.name}`, this.resolveArguments(step.arguments?.artifacts, 'steps', done), node.id);
        (group.children as string[]).push(child.id!);
        done.set(step.name, child);
        if (child.phase !== 'Succeeded') failed = `child '${child.id}' failed`;
      }
      await this.finish(group, failed ? 'Failed' : 'Succeeded');
    }
    return this.finish(node, failed ? 'Failed' : 'Succeeded', failed);
  }

  private async dag(t: Template, node: NodeStatus): Promise<NodeStatus> {
    node.type = 'DAG';
    node.children = [];
    this.nodes[node.id!] = node;
    const tasks = (t.dag as { tasks: Array<{ name: string; template: string; dependencies?: string[]; depends?: string; arguments?: { artifacts?: Artifact[] } }> }).tasks;
    const done = new Map<string, NodeStatus>();
    const deps = (task: (typeof tasks)[number]) => task.dependencies ?? (task.depends ? task.depends.split(/&&/).map((d) => d.trim().replace(/\.Succeeded$/, '')) : []);
    let failed: string | undefined;
    while (done.size < tasks.length && !failed) {
      const ready = tasks.filter((k) => !done.has(k.name) && deps(k).every((d) => done.has(d)));
      if (ready.length === 0) throw new Error(`dag ${t.name}: tasks ${tasks.filter((k) => !done.has(k.name)).map((k) => k.name).join(', ')} wait on tasks that do not exist or on each other`);
      for (const task of ready) {
        const child = await this.visit(task.template, `${node.name}.${task.name}`, this.resolveArguments(task.arguments?.artifacts, 'tasks', done), node.id);
        (node.children as string[]).push(child.id!);
        done.set(task.name, child);
        if (child.phase !== 'Succeeded') failed = `child '${child.id}' failed`;
      }
    }
    return this.finish(node, failed ? 'Failed' : 'Succeeded', failed);
  }

  /** The pod's archive location: the template's own plugin archiveLocation, else the repository's, key substituted. */
  private archiveLocation(t: Template, pod: string): ArchiveLocation {
    const own = t.archiveLocation?.plugin;
    const repo = this.o.repository;
    const archiveLogs = (t.archiveLocation?.archiveLogs as boolean | undefined) ?? this.wf.spec?.archiveLogs ?? repo.archiveLogs ?? false;
    if (t.archiveLocation && Object.keys(t.archiveLocation).some((k) => k !== 'archiveLogs' && k !== 'plugin')) {
      throw new Error(`template ${t.name}: archiveLocation names a storage other than a plugin; this harness drives plugins only`);
    }
    const loc = hasPluginLocation(own) ? own : repo.plugin;
    const key = substitute(hasPluginLocation(own) && own.key ? own.key : (repo.plugin.keyFormat || DEFAULT_KEY_FORMAT), this.vars(pod));
    return { archiveLogs, plugin: { name: loc.name, configuration: loc.configuration, key, ...(typeof own?.connectionTimeoutSeconds === 'number' ? { connectionTimeoutSeconds: own.connectionTimeoutSeconds } : {}) } };
  }

  private async pod(template: Template, node: NodeStatus, inputs: Artifact[]): Promise<NodeStatus> {
    node.type = 'Pod';
    const name = podName(this.name, node.name!, template.name!);
    const vars = this.vars(name);
    const t: Template = deepSubstitute({ ...template, inputs: { ...((template.inputs as object | undefined) ?? {}), artifacts: mergeInputs((template.inputs as { artifacts?: Artifact[] } | undefined)?.artifacts, inputs) } }, vars);
    const archive = this.archiveLocation(template, name);
    const dir = join(this.o.workDir, `${this.uid.slice(0, 8)}-${++this.podCount}`); // short: a Unix socket path has ~107 bytes
    const rootDir = join(dir, 'root');
    await mkdir(rootDir, { recursive: true });
    const uid = randomUUID();
    const token = `pod-${randomBytes(18).toString('hex')}`;
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const sa = this.o.serviceAccountName ?? (this.wf.spec?.serviceAccountName as string | undefined) ?? 'default';
    const info: PodInfo = { namespace: this.namespace, workflow: { name: this.name, uid: this.uid }, name, uid, nodeId: node.id!, template: t, dir, root: rootDir, token, tokenFile };
    const podSpec = { name, uid, serviceAccountName: sa };
    const writePod = (phase: 'Running' | 'Succeeded' | 'Failed') =>
      this.o.cluster.writePod(workflowPodManifest({ name: this.name, uid: this.uid, namespace: this.namespace }, { ...podSpec, phase }) as KubeObject & { metadata: { name: string; namespace: string } });
    await writePod('Running');
    await this.o.cluster.addTokens([{ token, serviceAccount: { namespace: this.namespace, name: sa }, pod: { name, uid } }]);
    node.phase = 'Running';
    node.podName = name;
    if (inputs.length || (t.inputs as { artifacts?: unknown[] }).artifacts?.length) node.inputs = { artifacts: ((t.inputs as { artifacts?: Artifact[] }).artifacts ?? []).filter(hasKey) };
    this.nodes[node.id!] = node;
    await this.save();

    const run: PodRun = { nodeId: node.id!, podName: name, phase: 'Failed', outputs: [], saves: [], errors: [] };
    this.pods.push(run);
    const socket = join(dir, 'tmp', 'artifact-plugins', archive.plugin.name, 'socket');
    await mkdir(dirname(socket), { recursive: true });
    const client = new ArtifactPluginClient(socket);
    let sidecar: PluginSidecar | undefined;
    let exitCode = 0;
    try {
      sidecar = await this.o.startPlugin(info, socket);
      await client.waitForReady((archive.plugin.connectionTimeoutSeconds ?? 5) * 1000 * 6);
      const loaded = await this.loadInputs(client, info, archive, run);
      if (loaded) {
        const result = (await this.o.main(info)) ?? {};
        exitCode = result.exitCode ?? 0;
        const logFile = join(dir, 'tmp', 'argo', 'outputs', 'logs', 'main.log');
        await mkdir(dirname(logFile), { recursive: true });
        await writeFile(logFile, result.log ?? '');
        const saved = await this.saveOutputs(client, info, archive, run);
        if (archive.archiveLogs) {
          const log: Artifact = { name: 'main-logs' };
          if (await this.saveOne(client, log, 'main.log', logFile, archive, run)) saved.push(log);
        }
        run.outputs = saved;
        node.outputs = { artifacts: saved, exitCode: String(exitCode) };
      }
    } catch (err) {
      run.errors.push((err as Error).message);
    } finally {
      client.close();
      await sidecar?.stop();
    }
    if (exitCode !== 0) run.errors.unshift(`Error (exit code ${exitCode})`);
    run.phase = run.errors.length === 0 ? 'Succeeded' : 'Failed';
    this.log(`pod ${name}: ${run.phase}${run.errors.length ? ` (${run.errors.join('; ')})` : ''}`);
    await writePod(run.phase);
    if (!this.o.keepPodDirs) await rm(dir, { recursive: true, force: true });
    return this.finish(node, run.phase, run.errors[0]);
  }

  /** The init container: each input with a location Loaded into `<path>.tmp`, then unpacked. */
  private async loadInputs(client: ArtifactPluginClient, pod: PodInfo, archive: ArchiveLocation, run: PodRun): Promise<boolean> {
    for (const art of (pod.template.inputs as { artifacts?: Artifact[] } | undefined)?.artifacts ?? []) {
      if (!hasKey(art)) {
        if (art.optional) continue;
        run.errors.push(`required artifact '${art.name}' not supplied`);
        return false;
      }
      if (typeof art.path !== 'string') {
        run.errors.push(`input artifact ${art.name} has no path`);
        return false;
      }
      const dest = join(pod.root, art.path);
      const tmp = `${isBaseImagePath(pod.template, art.path) ? join(pod.dir, 'argo', 'inputs', 'artifacts', art.name) : dest}.tmp`;
      await mkdir(dirname(tmp), { recursive: true, mode: 0o700 });
      try {
        await client.load(driverArtifact(art, archive), tmp);
        await unpackInput(tmp, dest, art.archive as ArchiveStrategy | undefined, art.mode as number | undefined, art.recurseMode === true);
      } catch (err) {
        run.errors.push(`artifact ${art.name} failed to load: ${(err as Error).message}`);
        return false;
      }
    }
    return true;
  }

  /** The wait container: each output staged and Saved; the ones saved come back as the status records them. */
  private async saveOutputs(client: ArtifactPluginClient, pod: PodInfo, archive: ArchiveLocation, run: PodRun): Promise<Artifact[]> {
    const saved: Artifact[] = [];
    const staging = join(pod.dir, 'tmp', 'argo', 'outputs', 'artifacts');
    await mkdir(staging, { recursive: true });
    for (const template of (pod.template.outputs?.artifacts ?? []) as Artifact[]) {
      const art = structuredClone(template);
      if (typeof art.path !== 'string') {
        run.errors.push(`output artifact ${art.name} has no path`);
        continue;
      }
      let staged;
      this.log(`pod ${pod.name}: staging ${art.name} (${art.archive && 'none' in (art.archive as object) ? 'archive: none' : 'tar+gzip'})`);
      try {
        staged = await stageOutput(art.name, art.path, join(pod.root, art.path), art.archive as ArchiveStrategy | undefined, staging, isBaseImagePath(pod.template, art.path));
      } catch (err) {
        if (err instanceof ArtifactNotFoundError && art.optional) continue;
        run.errors.push(err instanceof ArtifactNotFoundError ? `output artifact ${art.name}: ${err.message}` : (err as Error).message);
        continue;
      }
      if (await this.saveOne(client, art, staged.fileName, staged.localPath, archive, run)) saved.push(art);
    }
    return saved;
  }

  /** saveArtifactFromFile: a key-less artifact gets `plugin: {key: <archive key>/<file>}`, then Save with the full location. */
  private async saveOne(client: ArtifactPluginClient, art: Artifact, fileName: string, localPath: string, archive: ArchiveLocation, run: PodRun): Promise<boolean> {
    if (!hasKey(art)) art.plugin = { key: posix.join(archive.plugin.key, fileName) };
    const message = driverArtifact(art, archive);
    const st = await stat(localPath);
    this.log(`pod ${run.podName}: Save ${art.name} (${st.isDirectory() ? 'a directory' : `${st.size} bytes`}) → ${message.plugin.key}`);
    const t0 = performance.now();
    try {
      await client.save(localPath, message);
    } catch (err) {
      run.errors.push(`output artifact ${art.name}: ${(err as Error).message}`);
      return false;
    }
    run.saves.push({ artifact: art.name, path: localPath, key: message.plugin.key, ...(st.isFile() ? { bytes: st.size } : {}), seconds: (performance.now() - t0) / 1000 });
    return true;
  }
}

/** The template's input artifacts with the arguments' locations, by name. */
function mergeInputs(declared: Artifact[] | undefined, args: Artifact[]): Artifact[] {
  return (declared ?? []).map((d) => {
    const a = args.find((x) => x.name === d.name);
    return a ? { ...structuredClone(d), ...structuredClone(a), name: d.name, path: d.path } : structuredClone(d);
  });
}

/** newDriverArt (Relocate) + convertToGRPC: the artifact with its full plugin location. */
function driverArtifact(art: Artifact, archive: ArchiveLocation): ArtifactMessage {
  const own = art.plugin;
  const loc = own && hasPluginLocation(own) && hasKey(art) ? own : { ...archive.plugin, key: own?.key ?? '' };
  return {
    name: art.name,
    path: typeof art.path === 'string' ? art.path : '',
    mode: typeof art.mode === 'number' ? art.mode : 0,
    optional: art.optional === true,
    recurse_mode: art.recurseMode === true,
    deleted: art.deleted === true,
    plugin: { name: loc.name!, configuration: loc.configuration!, key: loc.key!, connection_timeout_seconds: (loc as { connectionTimeoutSeconds?: number }).connectionTimeoutSeconds ?? 5 },
  };
}

/** Runs the manifest to completion; the Workflow (and its pods) stay in the cluster directory. */
export function runWorkflow(o: RunOptions): Promise<RunResult> {
  return new WorkflowRun(o).run();
}
