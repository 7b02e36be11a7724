// GC policy over a table of Workflow objects: Argo's effective strategy, the artifacts it looks at,
// locations, safety refusals, gc-when / gc-delay annotations and their precedence. Pure functions.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Artifact, NodeStatus, Workflow } from '../shared/argo';
import {
  artifactStrategy,
  gcCandidates,
  ownershipOf,
  ownPrefixes,
  planWorkflow,
  prefixOverlaps,
  targetFor,
  workflowPolicy,
  workflowStrategy,
  type ArtifactDecision,
  type GcDefaults,
  type PlanOptions,
} from '../shared/gc';

const BUCKET = 'argo-artifacts';
const FINISHED = '2030-01-01T00:00:00.000Z';
const T0 = new Date(FINISHED);
const hours = (h: number) => new Date(T0.getTime() + h * 3600_000);

// The legacy single-tenant layout (`<name>/`), so the policy tables read short keys; the namespaced
// default is exercised under "ownership" below.
const LEGACY = { keySpace: { artifactRoot: '', workflowKeyPrefix: '{{workflow.name}}/' }, singleTenant: true };
const OPTS: PlanOptions = {
  defaults: { when: 'Always', delaySeconds: 0 },
  served: { bucket: BUCKET, endpoints: ['http://localhost:9100', 'oss-cn-hangzhou.aliyuncs.com'] },
  artifactRoot: '',
  ownership: LEGACY,
};

function art(name: string, key: string | undefined, extra: Partial<Artifact> = {}): Artifact {
  return { name, path: `/tmp/${name}`, ...(key !== undefined ? { oss: { key } } : {}), ...extra };
}

function pod(artifacts: Artifact[], extra: Partial<NodeStatus> = {}): NodeStatus {
  return { type: 'Pod', phase: 'Succeeded', templateName: 'main', outputs: { artifacts }, ...extra };
}

interface WfInit {
  phase?: string;
  strategy?: string;
  storedStrategy?: string;
  annotations?: Record<string, string>;
  nodes?: Record<string, NodeStatus>;
  templates?: Workflow['spec'] extends infer S ? (S extends { templates?: infer T } ? T : never) : never;
  repository?: { bucket?: string; endpoint?: string; lifecycleRule?: object } | null;
}

function wf(init: WfInit = {}): Workflow {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: 'wf', namespace: 'argo', uid: 'uid-1', ...(init.annotations ? { annotations: init.annotations } : {}) },
    spec: {
      ...(init.strategy !== undefined ? { artifactGC: { strategy: init.strategy as never } } : {}),
      ...(init.templates ? { templates: init.templates } : {}),
    },
    status: {
      phase: init.phase ?? 'Succeeded',
      finishedAt: FINISHED,
      nodes: init.nodes ?? {},
      ...(init.storedStrategy !== undefined ? { storedWorkflowTemplateSpec: { artifactGC: { strategy: init.storedStrategy as never } } } : {}),
      ...(init.repository === null
        ? {}
        : { artifactRepositoryRef: { configMap: 'artifact-repositories', key: 'default', artifactRepository: { archiveLogs: true, oss: { bucket: BUCKET, endpoint: 'oss-cn-hangzhou.aliyuncs.com', ...(init.repository ?? {}) } } } }),
    },
  };
}

function decisions(w: Workflow, event: 'completed' | 'deleted' = 'completed', now = T0, opts: Partial<PlanOptions> = {}): Record<string, ArtifactDecision> {
  const plan = planWorkflow(w, event, now, { ...OPTS, ...opts });
  expect(plan.notPlannable).toBeUndefined();
  return Object.fromEntries(plan.decisions.map((d) => [d.artifact, d]));
}

const actions = (d: Record<string, ArtifactDecision>) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.action]));

describe('effective strategy (Argo GetArtifactGCStrategy)', () => {
  const table: Array<[string, Partial<WfInit>, Partial<Artifact>, string, string]> = [
    ['nothing set → Never', {}, {}, 'Never', 'default'],
    ['workflow level', { strategy: 'OnWorkflowCompletion' }, {}, 'OnWorkflowCompletion', 'workflow'],
    ['artifact overrides workflow', { strategy: 'OnWorkflowCompletion' }, { artifactGC: { strategy: 'OnWorkflowDeletion' } }, 'OnWorkflowDeletion', 'artifact'],
    ['artifact Never overrides workflow', { strategy: 'OnWorkflowDeletion' }, { artifactGC: { strategy: 'Never' } }, 'Never', 'artifact'],
    ['empty artifact strategy means unset', { strategy: 'OnWorkflowDeletion' }, { artifactGC: { strategy: '' } }, 'OnWorkflowDeletion', 'workflow'],
    ['empty workflow strategy means unset', { strategy: '' }, {}, 'Never', 'default'],
    ['workflowTemplateRef stored spec', { storedStrategy: 'OnWorkflowDeletion' }, {}, 'OnWorkflowDeletion', 'workflowTemplate'],
    ['own spec wins over the stored template spec', { strategy: 'OnWorkflowCompletion', storedStrategy: 'OnWorkflowDeletion' }, {}, 'OnWorkflowCompletion', 'workflow'],
    ['empty own spec falls through to the stored spec', { strategy: '', storedStrategy: 'OnWorkflowCompletion' }, {}, 'OnWorkflowCompletion', 'workflowTemplate'],
    ['artifact wins over the stored spec', { storedStrategy: 'OnWorkflowDeletion' }, { artifactGC: { strategy: 'OnWorkflowCompletion' } }, 'OnWorkflowCompletion', 'artifact'],
  ];
  it.each(table)('%s', (_, init, extra, strategy, source) => {
    const w = wf(init);
    expect(artifactStrategy(w, art('a', 'k', extra))).toMatchObject({ strategy, source });
  });

  it('treats a value the CRD would reject as Never and says so', () => {
    expect(workflowStrategy(wf({ strategy: 'OnWorkflowSuccess' }))).toEqual({ strategy: 'Never', source: 'workflow', unknown: 'OnWorkflowSuccess' });
    const d = decisions(wf({ strategy: 'OnWorkflowSuccess', nodes: { n1: pod([art('a', 'wf/a.tgz')]) } }));
    expect(d.a).toMatchObject({ action: 'keep' });
    expect(d.a.reason).toMatch(/unknown strategy "OnWorkflowSuccess"/);
  });
});

describe('which artifacts GC looks at (findArtifactsToGC)', () => {
  it('only output artifacts of Pod nodes; logs follow the workflow strategy', () => {
    const w = wf({
      strategy: 'OnWorkflowCompletion',
      nodes: {
        'wf-1': pod([art('out', 'wf/wf-1/out.tgz'), art('main-logs', 'wf/wf-1/main.log')], { inputs: { artifacts: [art('in', 'other/in.tgz')] } }),
        wf: { type: 'Steps', phase: 'Succeeded', outputs: { artifacts: [art('global', 'wf/wf-1/out.tgz')] } },
        'wf-2': { type: 'DAG', outputs: { artifacts: [art('dag', 'wf/dag.tgz')] } },
        'wf-3': { type: 'Skipped', outputs: { artifacts: [art('skipped', 'wf/skipped.tgz')] } },
      },
    });
    const c = gcCandidates(w);
    expect(c.map((x) => `${x.node}:${x.artifact.name}:${x.log}`)).toEqual(['wf-1:out:false', 'wf-1:main-logs:true']);
    const d = decisions(w);
    expect(actions(d)).toEqual({ out: 'delete', 'main-logs': 'delete' });
    expect(d['main-logs'].strategy).toBe('OnWorkflowCompletion');
  });

  it('logs are kept when the workflow strategy is Never even if another artifact is reclaimed', () => {
    const w = wf({ nodes: { n: pod([art('out', 'wf/n/out.tgz', { artifactGC: { strategy: 'OnWorkflowCompletion' } }), art('main-logs', 'wf/n/main.log')]) } });
    expect(actions(decisions(w))).toEqual({ out: 'delete', 'main-logs': 'keep' });
  });

  it('skips artifacts already marked deleted and optional artifacts never written', () => {
    const w = wf({
      strategy: 'OnWorkflowCompletion',
      nodes: { n: pod([art('gone', 'wf/gone.tgz', { deleted: true }), art('missing', undefined, { optional: true }), art('ok', 'wf/ok.tgz')]) },
    });
    const d = decisions(w);
    expect(actions(d)).toEqual({ gone: 'skip', missing: 'skip', ok: 'delete' });
    expect(d.gone.reason).toMatch(/already deleted/);
    expect(d.missing.reason).toMatch(/never written/);
  });

  it('keeps artifacts stored elsewhere than OSS', () => {
    const w = wf({ strategy: 'OnWorkflowCompletion', nodes: { n: pod([{ name: 's3', s3: { key: 'x' } }]) } });
    expect(decisions(w).s3).toMatchObject({ action: 'keep', reason: expect.stringMatching(/s3, not OSS/) });
  });

  it('hydrates compressed nodes', () => {
    const nodes = { n: pod([art('out', 'wf/out.tgz')]) };
    const w = wf({ strategy: 'OnWorkflowCompletion' });
    w.status!.nodes = {};
    w.status!.compressedNodes = gzipSync(JSON.stringify(nodes)).toString('base64');
    expect(actions(decisions(w))).toEqual({ out: 'delete' });
  });

  it('reports offloaded node status as not plannable, never as nothing to do', () => {
    const w = wf({ strategy: 'OnWorkflowCompletion' });
    w.status!.offloadNodeStatusVersion = 'fnv:123';
    const plan = planWorkflow(w, 'completed', T0, OPTS);
    expect(plan.notPlannable).toMatchObject({ refused: true, reason: expect.stringMatching(/offloaded/) });
    expect(plan.decisions).toEqual([]);
  });

  it('plans nothing for a completion event of a running workflow', () => {
    const plan = planWorkflow(wf({ phase: 'Running', strategy: 'OnWorkflowCompletion' }), 'completed', T0, OPTS);
    expect(plan.notPlannable).toMatchObject({ refused: false, reason: expect.stringMatching(/not completed/) });
  });
});

describe('timing: completion, deletion, gc-delay', () => {
  const nodes = {
    n: pod([
      art('c', 'wf/c.tgz', { artifactGC: { strategy: 'OnWorkflowCompletion' } }),
      art('d', 'wf/d.tgz', { artifactGC: { strategy: 'OnWorkflowDeletion' } }),
      art('never', 'wf/never.tgz', { artifactGC: { strategy: 'Never' } }),
    ]),
  };

  it('completion: OnWorkflowCompletion due now, OnWorkflowDeletion owed until deletion', () => {
    const d = decisions(wf({ nodes }));
    expect(actions(d)).toEqual({ c: 'delete', d: 'defer', never: 'keep' });
    expect(d.d).toMatchObject({ onDeletion: true });
    expect(d.d.dueAt).toBeUndefined();
  });

  it('deletion: both strategies are due', () => {
    expect(actions(decisions(wf({ nodes }), 'deleted', hours(5)))).toEqual({ c: 'delete', d: 'delete', never: 'keep' });
  });

  it('a gc-delay annotation defers completion items from finishedAt, deletion items from the deletion', () => {
    const w = wf({ nodes, annotations: { 'argo-oss-artifacts/gc-delay': '24h' } });
    let d = decisions(w, 'completed', hours(1));
    expect(d.c).toMatchObject({ action: 'defer', dueAt: hours(24).toISOString() });
    d = decisions(w, 'completed', hours(25));
    expect(d.c.action).toBe('delete');
    d = decisions(w, 'deleted', hours(30), { deletedAt: hours(30) });
    expect(d.c.action).toBe('delete');
    expect(d.d).toMatchObject({ action: 'defer', dueAt: hours(54).toISOString() });
  });

  it('the configured delay applies without an annotation; the annotation overrides it (also with 0s)', () => {
    const defaults: GcDefaults = { when: 'Always', delaySeconds: 3600 };
    expect(decisions(wf({ nodes }), 'completed', T0, { defaults }).c).toMatchObject({ action: 'defer', dueAt: hours(1).toISOString() });
    expect(decisions(wf({ nodes, annotations: { 'argo-oss-artifacts/gc-delay': '0s' } }), 'completed', T0, { defaults }).c.action).toBe('delete');
  });

  it('uses the deletionTimestamp as the deletion time', () => {
    const w = wf({ nodes, annotations: { 'argo-oss-artifacts/gc-delay': '2h' } });
    w.metadata.deletionTimestamp = hours(10).toISOString();
    expect(decisions(w, 'deleted', hours(11)).d).toMatchObject({ action: 'defer', dueAt: hours(12).toISOString() });
  });
});

describe('gc-when: success-only and failure-only', () => {
  const nodes = { n: pod([art('out', 'wf/out.tgz')]) };
  const table: Array<[string | undefined, GcDefaults['when'], string, string]> = [
    [undefined, 'Always', 'Succeeded', 'delete'],
    [undefined, 'Always', 'Failed', 'delete'],
    ['Succeeded', 'Always', 'Succeeded', 'delete'],
    ['Succeeded', 'Always', 'Failed', 'keep'],
    ['Succeeded', 'Always', 'Error', 'keep'],
    ['Failed', 'Always', 'Succeeded', 'keep'],
    ['Failed', 'Always', 'Failed', 'delete'],
    ['Failed', 'Always', 'Error', 'delete'],
    ['failed', 'Always', 'Error', 'delete'],
    [undefined, 'Succeeded', 'Failed', 'keep'],
    [undefined, 'Failed', 'Failed', 'delete'],
    ['Always', 'Failed', 'Succeeded', 'delete'],
  ];
  it.each(table)('annotation %s, config %s, phase %s → %s', (annotation, when, phase, action) => {
    const w = wf({ phase, strategy: 'OnWorkflowCompletion', nodes, ...(annotation ? { annotations: { 'argo-oss-artifacts/gc-when': annotation } } : {}) });
    const d = decisions(w, 'completed', T0, { defaults: { when, delaySeconds: 0 } });
    expect(d.out.action).toBe(action);
    if (action === 'keep') expect(d.out.reason).toMatch(new RegExp(`gc-when .*${phase}`));
  });

  it('a filtered-out workflow keeps its artifacts at deletion too', () => {
    const w = wf({ phase: 'Failed', strategy: 'OnWorkflowDeletion', nodes, annotations: { 'argo-oss-artifacts/gc-when': 'Succeeded' } });
    expect(decisions(w, 'deleted').out.action).toBe('keep');
  });

  it('states where each setting came from', () => {
    expect(workflowPolicy(wf({ annotations: { 'argo-oss-artifacts/gc-when': 'Failed' } }), { when: 'Succeeded', delaySeconds: 60 })).toEqual({
      ok: true,
      policy: { when: 'Failed', delaySeconds: 60, whenSource: 'annotation', delaySource: 'config' },
    });
  });

  it.each([
    [{ 'argo-oss-artifacts/gc-when': 'Sometimes' }, /gc-when="Sometimes" must be one of Always, Succeeded, Failed/],
    [{ 'argo-oss-artifacts/gc-when': '' }, /gc-when=""/],
    [{ 'argo-oss-artifacts/gc-delay': 'tomorrow' }, /gc-delay="tomorrow" must be a duration/],
    [{ 'argo-oss-artifacts/gc-delay': '-1h' }, /gc-delay="-1h"/],
    [{ 'argo-oss-artifacts/gc-delay': '400d' }, /at most 366d/],
  ])('refuses the workflow for bad annotations %j', (annotations, reason) => {
    const plan = planWorkflow(wf({ strategy: 'OnWorkflowCompletion', nodes, annotations }), 'completed', T0, OPTS);
    expect(plan.notPlannable).toMatchObject({ refused: true, reason: expect.stringMatching(reason) });
    expect(plan.decisions).toEqual([]);
  });
});

describe('locations: artifact, template archiveLocation, repository', () => {
  it('resolves key-only artifacts through the template archiveLocation, then the repository', () => {
    const w = wf({
      strategy: 'OnWorkflowCompletion',
      templates: [
        { name: 'archived', archiveLocation: { oss: { bucket: BUCKET, endpoint: 'http://localhost:9100', key: '{{workflow.name}}' } } },
        { name: 'elsewhere', archiveLocation: { oss: { bucket: 'my-bucket-3', endpoint: 'oss-cn-hangzhou.aliyuncs.com' } } },
        { name: 'plain' },
      ],
      nodes: {
        a: pod([art('t', 'wf/a/t.tgz')], { templateName: 'archived' }),
        b: pod([art('other', 'wf/b/other.tgz')], { templateName: 'elsewhere' }),
        c: pod([art('r', 'wf/c/r.tgz')], { templateName: 'plain' }),
        d: pod([art('own', 'wf/d/own.tgz', { oss: { key: 'wf/d/own.tgz', bucket: BUCKET, endpoint: 'https://oss-cn-hangzhou-internal.aliyuncs.com' } })], { templateName: 'elsewhere' }),
      },
    });
    const d = decisions(w);
    expect(d.t).toMatchObject({ action: 'delete', location: { source: 'template', bucket: BUCKET } });
    expect(d.other).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/bucket "my-bucket-3" is not served/) });
    expect(d.r).toMatchObject({ action: 'delete', location: { source: 'repository' } });
    expect(d.own).toMatchObject({ action: 'delete', location: { source: 'artifact' } });
  });

  it('refuses a repository in another bucket or on another endpoint', () => {
    const nodes = { n: pod([art('out', 'wf/out.tgz')]) };
    expect(decisions(wf({ strategy: 'OnWorkflowCompletion', nodes, repository: { bucket: 'foreign' } })).out.action).toBe('refuse');
    expect(decisions(wf({ strategy: 'OnWorkflowCompletion', nodes, repository: { endpoint: 'oss-us-west-1.aliyuncs.com' } })).out).toMatchObject({
      action: 'refuse',
      reason: expect.stringMatching(/endpoint "oss-us-west-1.aliyuncs.com" is not served/),
    });
    expect(decisions(wf({ strategy: 'OnWorkflowCompletion', nodes, repository: null })).out).toMatchObject({ action: 'skip', reason: expect.stringMatching(/no bucket/) });
  });

  it('templateRef nodes find their template in storedTemplates', () => {
    const w = wf({ strategy: 'OnWorkflowCompletion', nodes: { n: pod([art('x', 'wf/x.tgz')], { templateName: undefined, templateRef: { name: 'wft', template: 'main' } }) } });
    w.status!.storedTemplates = { 'namespaced/wft/main': { name: 'main', archiveLocation: { oss: { bucket: 'elsewhere-bucket' } } } };
    expect(decisions(w).x).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/elsewhere-bucket/) });
  });
});

describe('delete targets', () => {
  const loc = (key: string) => ({ bucket: BUCKET, endpoint: '', key, source: 'artifact' as const });
  it('objects, prefixes for keys ending in / and auto for archive: none', () => {
    expect(targetFor(loc('wf/p/out.tgz'), art('a', 'wf/p/out.tgz'))).toEqual({ kind: 'object', key: 'wf/p/out.tgz' });
    expect(targetFor(loc('wf/p/dir/'), art('a', 'wf/p/dir/'))).toEqual({ kind: 'prefix', prefix: 'wf/p/dir/' });
    expect(targetFor(loc('wf/p/dir'), art('a', 'wf/p/dir', { archive: { none: {} } }))).toEqual({ kind: 'auto', key: 'wf/p/dir' });
    expect(targetFor(loc('wf/p/out.tgz'), art('a', 'wf/p/out.tgz', { archive: { tar: {} } }))).toEqual({ kind: 'object', key: 'wf/p/out.tgz' });
  });

  const malicious: Array<[string, string, RegExp]> = [
    ['empty key', '', /empty key/],
    ['root prefix', '/', /root prefix/],
    ['double slash prefix', 'wf//', /empty path segments/],
    ['parent segments', '../other/x.tgz', /'\.\.'/],
    ['inner parent segments', 'wf/../other/', /'\.\.'/],
    ['dot segment', 'wf/./x', /'\.'/],
    ['absolute key', '/etc/passwd', /relative/],
    ['reserved prefix', '.argo-oss/gc/ledger/uid-1.json', /reserved prefix/],
    ['reserved prefix as a directory', '.argo-oss/', /reserved prefix/],
    ['control character', 'wf/a\nb.tgz', /control characters/],
    ['backslash', 'wf\\a.tgz', /must not contain '\\'/],
  ];
  it.each(malicious)('refuses %s', (_, key, reason) => {
    const w = wf({ strategy: 'OnWorkflowCompletion', nodes: { n: pod([art('bad', key)]) } });
    const d = decisions(w).bad;
    expect(d.action).toBe('refuse');
    expect(d.reason).toMatch(reason);
  });

  it('keeps targets inside the artifact root', () => {
    const nodes = { n: pod([art('in', 'artifacts/wf/in.tgz'), art('out', 'wf/out.tgz'), art('root', 'artifacts/')]) };
    const d = decisions(wf({ strategy: 'OnWorkflowCompletion', nodes }), 'completed', T0, {
      artifactRoot: 'artifacts/',
      ownership: { ...LEGACY, keySpace: { ...LEGACY.keySpace, artifactRoot: 'artifacts/' } },
    });
    expect(actions(d)).toEqual({ in: 'delete', out: 'refuse', root: 'refuse' });
    expect(d.out.reason).toMatch(/artifact root artifacts\//);
  });

  it('refuses a prefix covering another artifact of the workflow that is not reclaimed with it', () => {
    const w = wf({
      nodes: {
        n: pod([
          art('dir', 'wf/n/', { artifactGC: { strategy: 'OnWorkflowCompletion' } }),
          art('kept', 'wf/n/kept.tgz', { artifactGC: { strategy: 'Never' } }),
          art('auto', 'wf/m', { archive: { none: {} }, artifactGC: { strategy: 'OnWorkflowCompletion' } }),
          art('later', 'wf/m/later.tgz', { artifactGC: { strategy: 'OnWorkflowDeletion' } }),
        ]),
      },
    });
    const d = decisions(w);
    expect(d.dir).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/would also delete artifact key "wf\/n\/kept.tgz"/) });
    expect(d.auto).toMatchObject({ action: 'refuse', reason: expect.stringMatching(/wf\/m\/later.tgz/) });
    expect(d.kept.action).toBe('keep');
    expect(d.later.action).toBe('defer');
  });

  it('refuses a prefix that covers an input artifact (another workflow’s data)', () => {
    const w = wf({ strategy: 'OnWorkflowCompletion', nodes: { n: pod([art('dir', 'shared/')], { inputs: { artifacts: [art('in', 'shared/model.tgz')] } }) } });
    expect(decisions(w).dir.action).toBe('refuse');
  });

  it('allows a prefix whose contents are reclaimed at the same time, and copies of the same key', () => {
    const w = wf({
      strategy: 'OnWorkflowCompletion',
      nodes: {
        n: pod([art('dir', 'wf/n/'), art('inner', 'wf/n/inner.tgz')]),
        steps: { type: 'Steps', outputs: { artifacts: [art('copy', 'wf/n/'), art('copy2', 'wf/n/inner.tgz')] } },
      },
    });
    expect(actions(decisions(w))).toEqual({ dir: 'delete', inner: 'delete' });
  });

  it('refuses a prefix outside the workflow’s own prefix, whatever other statuses list; objects there wait for their recorded owner', () => {
    const w = wf({ strategy: 'OnWorkflowCompletion', nodes: { n: pod([art('dir', 'wf-b/'), art('inner', 'team/wf/x/'), art('mine', 'wf/'), art('obj', 'wf-b/pod/out.tgz'), art('auto', 'other/pod/dir', { archive: { none: {} } })]) } });
    const d = decisions(w);
    expect(actions(d)).toEqual({ dir: 'refuse', inner: 'refuse', mine: 'delete', obj: 'delete', auto: 'delete' });
    expect(d.dir.reason).toMatch(/prefix wf-b\/ is outside the workflow's own prefix wf\//);
  });
});

describe('ownership (issue 10: GC deletes only what provably belongs to the workflow)', () => {
  const NS = { keySpace: { artifactRoot: '', workflowKeyPrefix: '{{workflow.namespace}}/{{workflow.name}}/' }, singleTenant: false };
  const me = { namespace: 'team-a', name: 'same', uid: 'uid-a' };

  it('own prefixes: the configured template; the legacy <name>/ only in single-tenant mode', () => {
    expect(ownPrefixes(NS, me)).toEqual(['team-a/same/']);
    expect(ownPrefixes({ ...NS, singleTenant: true }, me)).toEqual(['team-a/same/', 'same/']);
    expect(ownPrefixes({ keySpace: { artifactRoot: 'art/', workflowKeyPrefix: '{{workflow.name}}/' }, singleTenant: true }, me)).toEqual(['art/same/']);
    expect(ownPrefixes(NS, { ...me, name: 'a/b' })).toEqual([]);
  });

  it.each([
    [{ kind: 'prefix', prefix: 'team-a/same/' }, 'own'],
    [{ kind: 'prefix', prefix: 'team-a/same/p/dir/' }, 'own'],
    [{ kind: 'prefix', prefix: 'team-a/' }, 'refuse'],
    [{ kind: 'prefix', prefix: 'team-a/same-2/' }, 'refuse'],
    [{ kind: 'prefix', prefix: 'same/' }, 'refuse'],
    [{ kind: 'prefix', prefix: 'team-b/same/' }, 'refuse'],
    [{ kind: 'object', key: 'team-a/same/p/out.tgz' }, 'own'],
    [{ kind: 'object', key: 'team-a/same' }, 'own'],
    [{ kind: 'object', key: 'team-a/samefoo' }, 'prove'],
    [{ kind: 'object', key: 'team-b/same/p/out.tgz' }, 'prove'],
    [{ kind: 'auto', key: 'team-a/same/p/dir' }, 'own'],
    [{ kind: 'auto', key: 'team-b/same/p/dir' }, 'prove'],
  ] as const)('%j is %s', (target, kind) => {
    expect(ownershipOf(target, me, NS).kind).toBe(kind);
  });

  it('plans with the namespaced layout: another namespace’s same-named prefix is refused, own keys deleted', () => {
    const w = wf({ strategy: 'OnWorkflowCompletion', nodes: { n: pod([art('mine', 'argo/wf/n/'), art('legacy', 'wf/n/'), art('theirs', 'team-b/wf/')]) } });
    const d = decisions(w, 'completed', T0, { ownership: NS });
    expect(actions(d)).toEqual({ mine: 'delete', legacy: 'refuse', theirs: 'refuse' });
    expect(actions(decisions(w, 'completed', T0, { ownership: { ...NS, singleTenant: true } }))).toEqual({ mine: 'delete', legacy: 'delete', theirs: 'refuse' });
  });
});

describe('prefix overlap helpers', () => {
  it.each([
    ['a/b/', 'a/b/c.tgz', false, true],
    ['a/b/', 'a/bc.tgz', false, false],
    ['a/b/', 'a/b', false, true],
    ['a/b/', 'a/b', true, false],
    ['a/b/c/', 'a/b', false, true],
    ['a/b/c/', 'a/b/', false, true],
    ['a/b/c/', 'a/bc/', false, false],
    ['a/b/', '', false, false],
  ])('prefixOverlaps(%j, %j, same=%j) = %j', (prefix, other, same, expected) => {
    expect(prefixOverlaps(prefix, other, same)).toBe(expected);
  });

});
