// Pure pieces of the local Kubernetes API: selectors, merge and JSON patch, manifest files, tokens parsing.
import { describe, expect, it } from 'vitest';
import { applyJsonPatch, JsonPatchError } from '../local/kube-api/json-patch';
import { applyMergePatch } from '../local/kube-api/merge-patch';
import { parseManifest, serializeManifest } from '../local/kube-api/manifest-file';
import { parseFieldSelector, parseLabelSelector } from '../local/kube-api/selectors';
import { derivedUid, resourceVersionOf } from '../local/kube-api/store';
import { authenticate, parseTokensFile, TokensFileError } from '../local/kube-api/tokens';
import { authorize } from '../local/kube-api/rbac';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', n: '5' };
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app', true],
    ['!app', false],
    ['!missing', true],
    ['app=web,tier=front', true],
    ['app=web, tier=back', false],
    ['app in (db, web)', true],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['n>4,n<6', true],
    ['n>5', false],
    ['app=', false],
  ];
  it.each(cases)('%j matches: %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it.each(['a=(b', 'a b', '=b', 'a in b', 'a>x', ','])('rejects %j with a 400 Status', (selector) => {
    expect(() => parseLabelSelector(selector)).toThrow(expect.objectContaining({ code: 400, reason: 'BadRequest' }));
  });
});

describe('field selectors', () => {
  it('matches supported fields and rejects others', () => {
    const match = parseFieldSelector('metadata.name=a,status.phase!=Failed', ['metadata.name', 'status.phase']);
    expect(match({ metadata: { name: 'a' }, status: { phase: 'Running' } })).toBe(true);
    expect(match({ metadata: { name: 'a' }, status: { phase: 'Failed' } })).toBe(false);
    expect(() => parseFieldSelector('spec.x=1', ['metadata.name'])).toThrow(/field label not supported: spec.x/);
  });
});

describe('RFC 7386 merge patch', () => {
  // The examples of RFC 7386 appendix A.
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)('%j + %j = %j', (target, patch, result) => {
    expect(applyMergePatch(target as any, patch as any)).toEqual(result);
  });

  it('does not mutate its input and keeps "__proto__" a plain key', () => {
    const target = { a: { b: 1 } };
    const out = applyMergePatch(target, JSON.parse('{"a":{"c":2},"__proto__":{"polluted":true}}')) as any;
    expect(target).toEqual({ a: { b: 1 } });
    expect(out.a).toEqual({ b: 1, c: 2 });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as any).polluted).toBeUndefined();
  });
});

describe('RFC 6902 JSON patch', () => {
  const doc = { a: { b: [1, 2, 3] }, 'x/y': 1, 'm~n': 2 };
  it('applies add, remove, replace, move, copy and test', () => {
    const out = applyJsonPatch(doc, [
      { op: 'test', path: '/a/b/1', value: 2 },
      { op: 'add', path: '/a/b/-', value: 4 },
      { op: 'add', path: '/a/b/0', value: 0 },
      { op: 'remove', path: '/a/b/1' },
      { op: 'replace', path: '/x~1y', value: 10 },
      { op: 'copy', from: '/m~0n', path: '/c' },
      { op: 'move', from: '/m~0n', path: '/d' },
    ]);
    expect(out).toEqual({ a: { b: [0, 2, 3, 4] }, 'x/y': 10, c: 2, d: 2 });
    expect(doc.a.b).toEqual([1, 2, 3]);
  });

  it('names the failing operation', () => {
    expect(() => applyJsonPatch(doc, [{ op: 'add', path: '/a/b/1', value: 9 }, { op: 'remove', path: '/nope' }])).toThrow(
      new JsonPatchError('operation 1 (remove /nope): cannot remove /nope: it does not exist'),
    );
    expect(() => applyJsonPatch(doc, { op: 'add' })).toThrow(/must be a JSON array/);
    expect(() => applyJsonPatch(doc, [{ op: 'replace', path: '/a/b/7', value: 1 }])).toThrow(/out of range/);
  });
});

describe('manifest files', () => {
  it('re-serializes YAML touching only changed paths, so comments survive', () => {
    const text = '# header\nmetadata:\n  name: wf # the name\n  labels: {a: "1"}\nstatus:\n  nodes:\n    n1:\n      outputs:\n        artifacts:\n          - name: x # keep me\n            oss: {key: k}\n';
    const obj = parseManifest(text, 'yaml') as any;
    obj.status.nodes.n1.outputs.artifacts[0].deleted = true;
    obj.metadata.labels.b = '2';
    const out = serializeManifest(obj, text, 'yaml');
    expect(out).toContain('# header');
    expect(out).toContain('name: wf # the name');
    expect(out).toContain('- name: x # keep me');
    expect(parseManifest(out, 'yaml')).toEqual(obj);
  });

  it('rejects several documents, non-objects and bad syntax with a reason', () => {
    expect(() => parseManifest('a: 1\n---\nb: 2\n', 'yaml')).toThrow(/one object per file/);
    expect(() => parseManifest('- 1\n', 'yaml')).toThrow(/not a mapping/);
    expect(() => parseManifest('{', 'json')).toThrow(/invalid JSON/);
  });

  it('derives stable UUID-shaped uids and numeric resource versions', () => {
    expect(derivedUid('workflows/argo/a')).toBe(derivedUid('workflows/argo/a'));
    expect(derivedUid('workflows/argo/a')).not.toBe(derivedUid('workflows/argo/b'));
    expect(derivedUid('x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(resourceVersionOf('a')).toMatch(/^\d+$/);
    expect(resourceVersionOf('a')).not.toBe(resourceVersionOf('b'));
  });
});

describe('tokens.yaml parsing and rules', () => {
  const config = parseTokensFile(`
tokens:
  - token: t1
    user: alice
    groups: [devs]
    rules:
      - namespaces: [argo]
        apiGroups: [argoproj.io]
        resources: [workflows]
        resourceNames: [wf-1]
        verbs: [get]
  - token: t2
    serviceAccount: {namespace: ns, name: sa}
groups:
  - name: devs
    rules:
      - resources: ["*"]
        verbs: [list]
`);

  it('resolves identities', () => {
    const alice = authenticate(config, 't1');
    expect(alice).toMatchObject({ authenticated: true, user: { username: 'alice', groups: ['devs', 'system:authenticated'], extra: {} } });
    const sa = authenticate(config, 't2');
    expect(sa).toMatchObject({ authenticated: true, user: { username: 'system:serviceaccount:ns:sa' } });
  });

  it('applies resourceNames, namespaces and group rules', () => {
    const alice = { username: 'alice', groups: ['devs'] };
    const wf = (verb: string, namespace: string, name?: string) => authorize(config, alice, { verb, group: 'argoproj.io', resource: 'workflows', namespace, name }).allowed;
    expect(wf('get', 'argo', 'wf-1')).toBe(true);
    expect(wf('get', 'argo', 'wf-2')).toBe(false);
    expect(wf('get', 'other', 'wf-1')).toBe(false);
    expect(wf('list', 'anywhere')).toBe(true); // from group devs
    expect(authorize(config, alice, { path: '/version', verb: 'get' }).allowed).toBe(true);
    expect(authorize(config, alice, { path: '/metrics', verb: 'get' }).allowed).toBe(false);
  });

  it('lists every problem, with entry and field', () => {
    let err: unknown;
    try {
      parseTokensFile('tokens:\n  - token: "a b"\n    user: x\n    serviceAccount: {namespace: n}\n    expiresAt: soon\nextra: 1\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TokensFileError);
    expect((err as TokensFileError).problems).toEqual([
      '(top level): unknown field "extra" (known: tokens, groups)',
      'tokens[0] (user "x").token: must not contain whitespace',
      'tokens[0] (user "x"): has both `user` and `serviceAccount`; give one',
      'tokens[0] (user "x").serviceAccount.name: is required',
      'tokens[0] (user "x").expiresAt: must be an RFC 3339 time such as 2030-01-01T00:00:00Z',
    ]);
  });
});
