// Scenario 2, "Artifact GC": examples/artifact-gc-workflow.yaml completes → its completion event
// (kube-eventer's CloudEvent, POST /events) removes on-completion.txt only; deleting the workflow and
// reconciling (POST /reconcile, the timer) removes on-deletion.txt and the archived log; and
// examples/gc-success-only-delayed.yaml, failed, keeps its artifacts throughout. Each claim is
// checked with HEAD against OSS.
import { objectExists, putObject } from '../../shared/oss';
import type { GcSummary, PlanLine } from '../../shared/gc';
import { callJson, type DemoContext } from './context';
import { DemoError, type ScenarioResult } from './report';
import { completionEvent, exampleRepository, generatedName, NAMESPACE, renderExample, type Rendered } from './workflows';

function keyOf(w: Rendered, artifact: string): string {
  const o = w.outputs.find((x) => x.artifact === artifact);
  if (!o) throw new Error(`${w.podName} has no output ${artifact}`);
  return o.key;
}

/** The counters and this run's plan lines of a GC answer. */
function printSummary(ctx: DemoContext, s: GcSummary, workflows: string[]): void {
  const counters = (['planned', 'deleted', 'deferred', 'kept', 'refused', 'skipped', 'failed', 'objects'] as const).map((k) => `${k} ${s[k]}`).join(', ');
  ctx.report.info(`GC summary: ${counters}${s.errors.length ? `; errors: ${s.errors.join('; ')}` : ''}`);
  const ours = (l: PlanLine) => workflows.includes(l.workflow);
  for (const l of s.plan.filter(ours)) {
    ctx.report.info(`  ${l.workflow} ${l.artifact.padEnd(13)} ${l.action.padEnd(7)} ${l.key ?? ''}  (${l.reason}${l.dueAt ? `, due ${l.dueAt}` : ''})`);
  }
}

async function post(ctx: DemoContext, path: string, body: unknown): Promise<GcSummary> {
  ctx.signal.throwIfAborted();
  // Admin routes: the EventBridge and timer stand-ins take the stack's admin token.
  const r = await callJson(`${ctx.stack.gatewayUrl}${path}`, { method: 'POST', body, token: ctx.stack.adminToken });
  if (r.status !== 200) throw new DemoError(`POST ${path}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body as GcSummary;
}

export async function gcScenario(ctx: DemoContext, result: ScenarioResult): Promise<void> {
  const r = ctx.report;
  const checks = result.checks;
  r.section(2, 'Artifact GC', "examples/artifact-gc-workflow.yaml: artifactGC OnWorkflowDeletion for the workflow, on-completion.txt overridden to OnWorkflowCompletion.");
  const repo = await exampleRepository(ctx.stack.bucket, ctx.stack.region);
  const oss = ctx.stack.oss;
  const exists = (key: string) => objectExists(oss, key);
  const state = async (keys: string[]) => (await Promise.all(keys.map(async (k) => `${k.slice(k.lastIndexOf('/') + 1)} ${(await exists(k)) ? 'present' : 'gone'}`))).join(', ');

  const gcName = generatedName('artifact-gc-');
  const keepName = generatedName('nightly-report-');
  ctx.prefixes.push(`${NAMESPACE}/${gcName}/`, `${NAMESPACE}/${keepName}/`);
  const wf = await renderExample('artifact-gc-workflow.yaml', { name: gcName, phase: 'Succeeded', repo });
  const failed = await renderExample('gc-success-only-delayed.yaml', { name: keepName, phase: 'Failed', repo, parameters: { fail: 'true' } });
  const onCompletion = keyOf(wf, 'on-completion');
  const onDeletion = keyOf(wf, 'on-deletion');
  const log = keyOf(wf, 'main-logs');
  const kept = failed.outputs.map((o) => o.key);
  ctx.signal.throwIfAborted();
  for (const o of [...wf.outputs, ...failed.outputs]) await putObject(oss, o.key, o.body);
  await ctx.cluster.writeWorkflow(wf.workflow);
  await ctx.cluster.writeWorkflow(failed.workflow);
  const names = [`${NAMESPACE}/${gcName}`, `${NAMESPACE}/${keepName}`];
  r.step(`workflow ${names[0]} Succeeded; its pod wrote ${[onCompletion, onDeletion, log].join(', ')}`);
  r.step(`workflow ${names[1]} (gc-when: Succeeded, gc-delay: 24h) Failed; its pod wrote ${kept.join(', ')}`);

  r.step(`kube-eventer's WorkflowSucceeded event for ${gcName} → POST /events`);
  const s1 = await post(ctx, '/events', [completionEvent(wf.workflow, 'WorkflowSucceeded', ctx.stack.region)]);
  printSummary(ctx, s1, names);
  r.check(checks, 'on-completion.txt is removed', !(await exists(onCompletion)), await state([onCompletion]));
  r.check(checks, 'on-deletion.txt and main.log stay (owed at deletion)', (await exists(onDeletion)) && (await exists(log)), await state([onDeletion, log]));
  const marked = await ctx.cluster.getWorkflow(NAMESPACE, gcName);
  const art = marked?.status?.nodes?.[wf.nodeId]?.outputs?.artifacts?.find((a) => a.name === 'on-completion');
  r.check(checks, 'the workflow shows on-completion as deleted (status …artifacts[].deleted, as the Argo UI reads it)', art?.deleted === true, `deleted: ${art?.deleted ?? 'unset'}`);

  r.step(`kube-eventer's WorkflowFailed event for ${keepName} → POST /events`);
  const s2 = await post(ctx, '/events', [completionEvent(failed.workflow, 'WorkflowFailed', ctx.stack.region)]);
  printSummary(ctx, s2, names);
  const keptNow = await Promise.all(kept.map(exists));
  r.check(checks, 'the failed success-only workflow keeps every artifact', keptNow.every(Boolean), await state(kept));

  r.step(`argo delete ${gcName} (DELETE through the Kubernetes API; no event is emitted for it)`);
  const del = await ctx.cluster.deleteWorkflow(NAMESPACE, gcName);
  r.check(checks, 'the workflow is deleted', del === 200 && (await ctx.cluster.getWorkflow(NAMESPACE, gcName)) === undefined, `HTTP ${del}`);
  r.step('the reconcile timer fires → POST /reconcile');
  const s3 = await post(ctx, '/reconcile', {});
  printSummary(ctx, s3, names);
  r.check(checks, 'on-deletion.txt and main.log are removed', !(await exists(onDeletion)) && !(await exists(log)), await state([onDeletion, log]));
  const keptAfter = await Promise.all(kept.map(exists));
  r.check(checks, 'the failed success-only workflow still keeps every artifact', keptAfter.every(Boolean), await state(kept));

  result.summary = `completion removed on-completion.txt only; deletion + reconcile removed on-deletion.txt and main.log; failed success-only run kept ${kept.length}/${kept.length}`;
}
