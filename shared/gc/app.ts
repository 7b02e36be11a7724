// Wires config → OSS client + Workflow access + lifecycle rules → the GC entry points. Shared by the FC
// function, the local gateway mount, the CLI and the tests; building it does no I/O besides reading a
// KUBECONFIG file.
import { servedStorage } from '../argo';
import { ConfigError, type Config } from '../config';
import { kubeConfigFromConfig, type KubeAccessConfig } from '../k8s';
import { applyArtifactLifecycleRules, loadLifecycleRulesFile, reconcileLifecycle } from '../lifecycle';
import type { FcContext } from '../http/fc';
import { createOssClientFromConfig, type OssAccessConfig, type OssClient } from '../oss';
import { AuditLog } from './audit';
import { parseGcPayload, type GcInput } from './events';
import { ownershipRule } from './ownership';
import { reconcile } from './reconcile';
import { SummaryCollector } from './summary';
import type { GcSummary } from './types';
import { handleGoneWorkflow, handleWorkflow, type GcRun, type GcSettings } from './workflow-gc';
import { KubeWorkflows, type WorkflowStore } from './workflows';

export type GcConfig = OssAccessConfig &
  KubeAccessConfig &
  Pick<
    Config,
    | 'servedEndpoints'
    | 'artifactRoot'
    | 'workflowKeyPrefix'
    | 'gcWhen'
    | 'gcDelaySeconds'
    | 'gcDryRun'
    | 'gcMarkDeleted'
    | 'gcStaleUploadHours'
    | 'lifecycleRulesFile'
    | 'gcNamespaces'
    | 'gcTrustWorkflowEvents'
  > &
  Partial<{ singleTenant: boolean }>;

export interface GcDeps {
  /** Use this OSS client (closed by the caller) instead of one from the config. */
  oss?: OssClient;
  /** Workflow access; default: the cluster from the config (none configured → only whole-Workflow events work). */
  workflows?: WorkflowStore;
  fcContext?: FcContext | null;
  /** The clock (tests inject one to step over delays and backoffs). */
  now?: () => Date;
  /** One structured JSON line per call; default stdout. */
  log?: (line: string) => void;
  /** OSS requests in flight per step (default 8). */
  concurrency?: number;
}

export interface RunOptions {
  /** Overrides ARGO_OSS_GC_DRY_RUN for this run. */
  dryRun?: boolean;
  /** FC request id, copied into every audit record. */
  requestId?: string;
}

export interface GcApp {
  /** Handles one payload of events (a CloudEvent or an array; a Buffer, text or parsed JSON). */
  handleEvents(payload: unknown, options?: RunOptions): Promise<GcSummary>;
  /** The periodic reconcile. */
  reconcile(options?: RunOptions): Promise<GcSummary>;
  /** What the function does with an invocation: timer / {"action":"reconcile"} → reconcile, else events. */
  invoke(payload: unknown, options?: RunOptions): Promise<GcSummary>;
  oss: OssClient;
  workflows?: WorkflowStore;
  close(): void;
}

export function createGcApp(config: GcConfig, deps: GcDeps = {}): GcApp {
  const oss = deps.oss ?? createOssClientFromConfig(config, { fcContext: deps.fcContext ?? null });
  let workflows = deps.workflows;
  if (!workflows) {
    try {
      workflows = new KubeWorkflows(kubeConfigFromConfig(config).kubeConfig);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
    }
  }
  const now = deps.now ?? (() => new Date());
  const out = deps.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const settings = (dryRun: boolean): GcSettings => ({
    defaults: { when: config.gcWhen, delaySeconds: config.gcDelaySeconds },
    served: servedStorage(config),
    artifactRoot: config.artifactRoot,
    ownership: ownershipRule(config),
    dryRun,
    markDeleted: config.gcMarkDeleted,
    concurrency: deps.concurrency ?? 8,
  });

  const newRun = (options: RunOptions): GcRun => {
    const dryRun = options.dryRun ?? config.gcDryRun;
    const log = (record: Record<string, unknown>) => out(JSON.stringify({ time: now().toISOString(), ...record }));
    const s = settings(dryRun);
    return {
      oss,
      ...(workflows ? { workflows } : {}),
      now,
      settings: s,
      audit: new AuditLog(oss, { now, log: out, ...(options.requestId ? { requestId: options.requestId } : {}) }),
      summary: new SummaryCollector(dryRun),
      log,
      applyArtifactLifecycle: (targets) => applyArtifactLifecycleRules(oss, targets, { artifactRoot: s.artifactRoot, dryRun }),
    };
  };

  const finish = async (run: GcRun): Promise<GcSummary> => {
    await run.audit.flush();
    const s = run.summary.summary;
    run.log({ level: s.errors.length ? 'error' : 'info', msg: 'gc run done', run: run.audit.run, ...s, plan: undefined });
    return s;
  };

  const handleInput = async (run: GcRun, input: GcInput): Promise<void> => {
    const ev = run.summary.events();
    if (input.kind === 'malformed' || input.kind === 'ignored') {
      if (input.kind === 'malformed') ev.malformed++;
      else ev.ignored++;
      run.log({ level: input.kind === 'malformed' ? 'warn' : 'info', msg: `event ${input.kind}`, ...input });
      return;
    }
    if (input.kind === 'reconcile') {
      ev.ignored++;
      run.log({ level: 'info', msg: 'reconcile request inside an event batch ignored; the timer runs it', id: input.id });
      return;
    }
    let outcome;
    if (input.kind === 'workflow' && config.gcTrustWorkflowEvents) {
      // Opt-in (ARGO_OSS_GC_TRUST_WORKFLOW_EVENTS): the object is the workflow's state, as sent.
      outcome = await handleWorkflow(run, input.workflow, input.deleted ? 'deleted' : 'completed');
    } else {
      // An event only names a workflow (a whole-Workflow event included): the cluster says what it is.
      const named = input.kind === 'workflow' ? { namespace: input.workflow.metadata.namespace!, name: input.workflow.metadata.name!, uid: input.workflow.metadata.uid } : input;
      if (!run.workflows) {
        throw new Error('no cluster access configured: cannot read the workflow an event names (whole-Workflow events are used as sent only with ARGO_OSS_GC_TRUST_WORKFLOW_EVENTS=true)');
      }
      const wf = await run.workflows.get(named.namespace, named.name);
      if (wf && (!named.uid || wf.metadata.uid === named.uid)) {
        if (input.kind === 'workflow' && input.deleted && !wf.metadata.deletionTimestamp) run.log({ level: 'warn', msg: 'a deletion event for a workflow the cluster still has: handled as the cluster says', workflow: named });
        outcome = await handleWorkflow(run, wf, wf.metadata.deletionTimestamp ? 'deleted' : 'completed');
      } else {
        // Gone, or the name now belongs to a new workflow: the one the event is about was deleted.
        outcome = named.uid ? await handleGoneWorkflow(run, { namespace: named.namespace, name: named.name, uid: named.uid }, wf) : 'duplicate';
      }
    }
    if (outcome === 'duplicate') ev.duplicates++;
    else if (outcome === 'handled' || outcome === 'refused') ev.handled++;
    else ev.ignored++;
  };

  const app: GcApp = {
    oss,
    ...(workflows ? { workflows } : {}),
    async handleEvents(payload, options = {}) {
      const run = newRun(options);
      const inputs = parseGcPayload(payload);
      run.summary.events().received = inputs.length;
      // One at a time: duplicates within a batch then meet the ledger claim of the first.
      for (const input of inputs) {
        try {
          await handleInput(run, input);
        } catch (err) {
          const what = input.kind === 'workflow-event' ? `${input.namespace}/${input.name}` : input.kind === 'workflow' ? `${input.workflow.metadata.namespace}/${input.workflow.metadata.name}` : input.kind;
          run.summary.error(`event ${input.id ?? ''} (${what}): ${(err as Error).message}`);
        }
      }
      return finish(run);
    },
    async reconcile(options = {}) {
      const run = newRun(options);
      const lifecycle = config.lifecycleRulesFile
        ? async () => reconcileLifecycle(oss, await loadLifecycleRulesFile(config.lifecycleRulesFile!), { dryRun: run.settings.dryRun })
        : undefined;
      await reconcile(run, { namespaces: config.gcNamespaces, staleUploadHours: config.gcStaleUploadHours, ...(lifecycle ? { lifecycle } : {}) });
      return finish(run);
    },
    async invoke(payload, options = {}) {
      const inputs = parseGcPayload(payload);
      if (inputs.length > 0 && inputs.every((i) => i.kind === 'reconcile')) return app.reconcile(options);
      return app.handleEvents(payload, options);
    },
    close() {
      if (!deps.oss) oss.close();
    },
  };
  return app;
}
