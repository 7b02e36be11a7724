// One table per rule of shared/tenancy: names, keys, key spaces and recorded owners.
import { describe, expect, it } from 'vitest';
import {
  checkWorkflowKeyTemplate,
  hasControlChars,
  isArtifactName,
  isNamespaceName,
  isObjectName,
  isReserved,
  isReservedMetaKey,
  isSameWorkflow,
  isUid,
  isUnder,
  namespacePrefix,
  ownerMetadata,
  recordedOwner,
  validateArtifactKey,
  workflowPrefix,
} from '../shared/tenancy';

const rules: [string, (s: string) => boolean, [string, boolean][]][] = [
  ['isNamespaceName', isNamespaceName, [['team-a', true], ['a', true], ['a'.repeat(63), true], ['a'.repeat(64), false], ['Team', false], ['a.b', false], ['-a', false], ['a-', false], ['', false], ['a/b', false]]],
  ['isObjectName', isObjectName, [['wf-1', true], ['wf.1', true], ['a'.repeat(253), true], ['a'.repeat(254), false], ['WF', false], ['a/b', false], ['..', false], ['', false]]],
  ['isArtifactName', isArtifactName, [['main-logs', true], ['Out_1', true], ['a.b', false], ['a/b', false], ['', false]]],
  ['isUid', isUid, [['0b1c-22', true], ['uid', true], ['-x', false], ['a/b', false], ['', false]]],
  ['hasControlChars', hasControlChars, [['plain', false], ['tab\t', true], ['del\u007f', true], ['c1\u0085', true], ['nbsp\u00a0', false], ['ü', false]]],
  ['isReserved', isReserved, [['.argo-oss/gc/x', true], ['.argo-oss', true], ['.argo-ossx/a', false], ['a/.argo-oss/b', false]]],
  ['isReservedMetaKey', isReservedMetaKey, [['argo-oss-namespace', true], ['ARGO-OSS-x', true], ['owner', false]]],
];

describe('name rules', () => {
  for (const [name, rule, cases] of rules) {
    it.each(cases)(`${name}(%j) is %s`, (input, expected) => expect(rule(input)).toBe(expected));
  }
});

describe('validateArtifactKey', () => {
  const cases: [unknown, string, string | null][] = [
    ['team-a/wf/out.tgz', '', null],
    ['art/team-a/wf/x', 'art/', null],
    ['', '', 'is required'],
    [42, '', 'is required'],
    ['/abs', '', 'relative'],
    ['a\\b', '', "'\\'"],
    ['a/\u0085b', '', 'control'],
    ['a//b', '', 'segments'],
    ['a/../b', '', 'segments'],
    ['a/', '', 'segments'],
    ['.argo-oss/x', '', 'reserved'],
    ['x'.repeat(1024), '', '1023'],
    ['other/x', 'art/', 'artifact root'],
  ];
  it.each(cases)('%j under root %j → %s', (key, root, problem) => {
    if (problem === null) expect(validateArtifactKey(key, root)).toBe(key);
    else expect(() => validateArtifactKey(key, root)).toThrow(problem);
  });
});

describe('key spaces', () => {
  const wf = { namespace: 'team-a', name: 'same' };
  const cases: [string, string, string, string | undefined][] = [
    ['{{workflow.namespace}}/{{workflow.name}}/', '', 'team-a/same/', 'team-a/'],
    ['{{workflow.namespace}}/{{workflow.name}}/', 'art/', 'art/team-a/same/', 'art/team-a/'],
    ['t/ns-{{ workflow.namespace }}/runs/{{workflow.name}}/', '', 't/ns-team-a/runs/same/', 't/ns-team-a/'],
    ['{{workflow.name}}/', '', 'same/', undefined],
    ['{{workflow.name}}/{{workflow.namespace}}/', '', 'same/team-a/', undefined],
  ];
  it.each(cases)('%j (root %j): workflow %j, namespace %j', (template, artifactRoot, wfPrefix, nsPrefix) => {
    const space = { workflowKeyPrefix: template, artifactRoot };
    expect(workflowPrefix(space, wf)).toBe(wfPrefix);
    expect(namespacePrefix(space, wf.namespace)).toBe(nsPrefix);
    if (nsPrefix) expect(wfPrefix.startsWith(nsPrefix)).toBe(true);
  });

  it('keeps namespaces apart even when a workflow is named like a namespace', () => {
    const space = { workflowKeyPrefix: '{{workflow.namespace}}/{{workflow.name}}/', artifactRoot: '' };
    expect(workflowPrefix(space, { namespace: 'team-b', name: 'team-a' }).startsWith(namespacePrefix(space, 'team-a')!)).toBe(false);
  });

  it('refuses names that could smuggle a separator (403)', () => {
    const space = { workflowKeyPrefix: '{{workflow.namespace}}/{{workflow.name}}/', artifactRoot: '' };
    expect(() => workflowPrefix(space, { namespace: 'team-a', name: 'a/b' })).toThrow(/not a valid Kubernetes name/);
    expect(() => namespacePrefix(space, 'a/b')).toThrow(/not a valid Kubernetes name/);
  });

  const templates: [string, boolean, string | null][] = [
    ['{{workflow.namespace}}/{{workflow.name}}/', false, null],
    ['{{workflow.name}}/', true, null],
    ['{{workflow.name}}/', false, 'does not separate namespaces'],
    ['{{workflow.name}}/{{workflow.namespace}}/', false, 'does not separate namespaces'],
    ['{{workflow.namespace}}/{{workflow.name}}', false, "must end with '/'"],
    ['{{workflow.namespace}}/', false, 'must contain {{workflow.name}}'],
    ['{{workflow.namespace}}/{{pod.name}}/{{workflow.name}}/', false, 'unknown placeholder'],
    ['{{workflow.namespace}}{{workflow.name}}/', false, 'one placeholder per path segment'],
    ['{{workflow.namespace}}//{{workflow.name}}/', false, 'relative'],
  ];
  it.each(templates)('template %j (single tenant %s) → %s', (t, singleTenant, problem) => {
    if (problem === null) expect(checkWorkflowKeyTemplate(t, singleTenant)).toBe(t);
    else expect(() => checkWorkflowKeyTemplate(t, singleTenant)).toThrow(problem);
  });

  it.each([
    ['team-a/same/x', 'team-a/same/', true],
    ['team-a/same', 'team-a/same/', true],
    ['team-a/samex/y', 'team-a/same/', false],
    ['team-a/sam', 'team-a/same/', false],
  ] as const)('isUnder(%j, %j) is %s', (key, prefix, expected) => expect(isUnder(key, prefix)).toBe(expected));
});

describe('recorded owners', () => {
  const owner = { namespace: 'team-a', name: 'same', uid: 'uid-a' };
  it('round-trips through object metadata, whatever the case of the names', () => {
    expect(recordedOwner(ownerMetadata(owner))).toEqual(owner);
    const upper = Object.fromEntries(Object.entries(ownerMetadata(owner)).map(([k, v]) => [k.toUpperCase(), v]));
    expect(recordedOwner(upper)).toEqual(owner);
  });
  it.each([
    [undefined],
    [{}],
    [{ 'argo-oss-namespace': 'team-a', 'argo-oss-workflow': 'same' }],
    [{ 'argo-oss-namespace': 'Team A', 'argo-oss-workflow': 'same', 'argo-oss-workflow-uid': 'u' }],
    [{ 'argo-oss-namespace': 'team-a', 'argo-oss-workflow': 'a/b', 'argo-oss-workflow-uid': 'u' }],
  ])('proves nothing from %j', (meta) => expect(recordedOwner(meta)).toBeUndefined());
  it('tells workflows apart by namespace, name and uid', () => {
    expect(isSameWorkflow(owner, { ...owner })).toBe(true);
    for (const other of [{ uid: 'uid-b' }, { namespace: 'team-b' }, { name: 'other' }]) expect(isSameWorkflow(owner, { ...owner, ...other })).toBe(false);
  });
});
