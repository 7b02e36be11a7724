import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ArgoError, artifactKey, assertServed, canonicalEndpoint, findNode, findTemplate, parsePluginConfiguration, PluginConfigurationError, resolveArtifactLocation, servedStorage, workflowNodes, type Workflow } from '../shared/argo';
import { formatDurationSeconds, parseDurationSeconds } from '../shared/duration';

const repo = { oss: { endpoint: 'oss-cn-hangzhou.aliyuncs.com', bucket: 'repo-bucket' } };

function wf(status: Workflow['status'], spec: Workflow['spec'] = {}): Workflow {
  return { metadata: { name: 'wf', namespace: 'argo' }, spec, status };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ArgoError ? err.code : `not an ArgoError: ${err}`;
  }
  return undefined;
}

describe('workflow nodes', () => {
  const nodes = { 'wf-1': { id: 'wf-1', name: 'wf', type: 'Pod' } };

  it('uses status.nodes, or hydrates status.compressedNodes', () => {
    expect(workflowNodes(wf({ nodes }))).toEqual(nodes);
    const compressed = gzipSync(JSON.stringify(nodes)).toString('base64');
    expect(workflowNodes(wf({ compressedNodes: compressed }))).toEqual(nodes);
    expect(findNode(wf({ compressedNodes: compressed }), 'wf-1').type).toBe('Pod');
  });

  it('reports offloaded and corrupt node status instead of an empty map', () => {
    expect(codeOf(() => workflowNodes(wf({ offloadNodeStatusVersion: 'fnv:123' })))).toBe('NodesOffloaded');
    expect(codeOf(() => workflowNodes(wf({ compressedNodes: 'bm90IGd6aXA=' })))).toBe('NodesCorrupt');
    expect(workflowNodes(wf({}))).toEqual({});
  });

  it('finds a node by id, else NodeNotFound', () => {
    expect(findNode(wf({ nodes }), 'wf-1').id).toBe('wf-1');
    expect(codeOf(() => findNode(wf({ nodes }), 'wf-2'))).toBe('NodeNotFound');
  });
});

describe('artifact location', () => {
  const templates = [{ name: 'with-archive', archiveLocation: { oss: { endpoint: 'http://localhost:9100', bucket: 'tmpl-bucket' } } }, { name: 'plain' }];
  const w = wf({ artifactRepositoryRef: { artifactRepository: repo } }, { templates });

  it('prefers the artifact, then the template archiveLocation, then the repository', () => {
    const own = resolveArtifactLocation(w, { templateName: 'with-archive' }, { name: 'a', oss: { bucket: 'own', endpoint: 'e', key: 'k/a.tgz' } });
    expect(own).toEqual({ bucket: 'own', endpoint: 'e', key: 'k/a.tgz', source: 'artifact' });
    const tmpl = resolveArtifactLocation(w, { templateName: 'with-archive' }, { name: 'a', oss: { key: 'k/a.tgz' } });
    expect(tmpl).toMatchObject({ bucket: 'tmpl-bucket', source: 'template' });
    const repoLoc = resolveArtifactLocation(w, { templateName: 'plain' }, { name: 'a', oss: { key: 'k/a.tgz' } });
    expect(repoLoc).toMatchObject({ bucket: 'repo-bucket', endpoint: 'oss-cn-hangzhou.aliyuncs.com', source: 'repository' });
  });

  it('finds templates through templateRef and the stored workflow template spec', () => {
    const stored = wf({
      storedTemplates: { 'namespaced/lib/build': { name: 'build', archiveLocation: { oss: { bucket: 'lib-bucket' } } } },
      storedWorkflowTemplateSpec: { templates: [{ name: 'main', archiveLocation: { oss: { bucket: 'spec-bucket' } } }] },
    });
    expect(findTemplate(stored, { templateRef: { name: 'lib', template: 'build' } })?.name).toBe('build');
    expect(resolveArtifactLocation(stored, { templateName: 'main' }, { name: 'a', oss: { key: 'x' } }).bucket).toBe('spec-bucket');
  });

  it('explains artifacts that are not on OSS or were never written', () => {
    expect(codeOf(() => resolveArtifactLocation(w, {}, { name: 'a', s3: { key: 'x' } }))).toBe('UnsupportedStorage');
    expect(codeOf(() => resolveArtifactLocation(w, {}, { name: 'a' }))).toBe('NoLocation');
    expect(codeOf(() => resolveArtifactLocation(w, {}, { name: 'a', oss: { key: '' } }))).toBe('NoLocation');
    expect(codeOf(() => resolveArtifactLocation(wf({}), {}, { name: 'a', oss: { key: 'k' } }))).toBe('NoLocation');
  });
});

describe('plugin artifact location', () => {
  const config = (bucket = 'argo-artifacts', endpoint = 'oss-cn-hangzhou-internal.aliyuncs.com') => `coordinator: https://upload.example.com\nbucket: ${bucket}\nendpoint: ${endpoint}\n`;
  const repoPlugin = { plugin: { name: 'argo-oss', keyFormat: '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}', configuration: config() } };
  const templates = [
    { name: 'with-archive', archiveLocation: { plugin: { name: 'argo-oss', configuration: config('tmpl-bucket') } } },
    { name: 'foreign-archive', archiveLocation: { plugin: { name: 's3', configuration: 'bucket: b' } } },
    { name: 'plain' },
  ];
  const w = wf({ artifactRepositoryRef: { artifactRepository: repoPlugin } }, { templates });
  const served = servedStorage({ ossBucket: 'argo-artifacts', ossRegion: 'cn-hangzhou', servedEndpoints: [] });

  it('resolves plugin: {key} through the artifact, the template archiveLocation, then the repository', () => {
    const repoLoc = resolveArtifactLocation(w, { templateName: 'plain' }, { name: 'out', plugin: { key: 'argo/wf/wf-main-1/out.tgz' } });
    expect(repoLoc).toEqual({ bucket: 'argo-artifacts', endpoint: 'oss-cn-hangzhou-internal.aliyuncs.com', key: 'argo/wf/wf-main-1/out.tgz', source: 'repository', plugin: 'argo-oss' });
    expect(() => assertServed(repoLoc, served)).not.toThrow();
    expect(resolveArtifactLocation(w, { templateName: 'with-archive' }, { name: 'a', plugin: { key: 'k' } })).toMatchObject({ bucket: 'tmpl-bucket', source: 'template' });
    const own = resolveArtifactLocation(w, { templateName: 'with-archive' }, { name: 'a', plugin: { name: 'argo-oss', configuration: config('own-bucket'), key: 'k' } });
    expect(own).toMatchObject({ bucket: 'own-bucket', source: 'artifact' });
  });

  it("follows Argo's HasLocation: a block without name or configuration takes both from the next level", () => {
    expect(resolveArtifactLocation(w, { templateName: 'plain' }, { name: 'a', plugin: { name: 'other', key: 'k' } })).toMatchObject({ source: 'repository', plugin: 'argo-oss' });
    expect(resolveArtifactLocation(w, { templateName: 'plain' }, { name: 'a', plugin: { configuration: config('x-bucket'), key: 'k' } })).toMatchObject({ bucket: 'argo-artifacts', source: 'repository' });
    expect(resolveArtifactLocation(w, { templateName: 'with-archive' }, { name: 'a', plugin: { key: 'k', name: '', configuration: '' } }).source).toBe('template');
  });

  it('another plugin is another storage; ours with a bad configuration is not served; no key or no level is no location', () => {
    expect(codeOf(() => resolveArtifactLocation(w, { templateName: 'foreign-archive' }, { name: 'a', plugin: { key: 'k' } }))).toBe('UnsupportedStorage');
    expect(codeOf(() => resolveArtifactLocation(w, {}, { name: 'a', plugin: { name: 'minio', configuration: config(), key: 'k' } }))).toBe('UnsupportedStorage');
    // The configured name decides which plugin is ours.
    expect(codeOf(() => resolveArtifactLocation(w, { templateName: 'plain' }, { name: 'a', plugin: { key: 'k' } }, { pluginName: 'oss-plugin' }))).toBe('UnsupportedStorage');
    expect(resolveArtifactLocation(w, {}, { name: 'a', plugin: { name: 'oss-plugin', configuration: config(), key: 'k' } }, { pluginName: 'oss-plugin' }).plugin).toBe('oss-plugin');
    const bad = wf({ artifactRepositoryRef: { artifactRepository: { plugin: { name: 'argo-oss', configuration: 'bucket: argo-artifacts' } } } });
    expect(codeOf(() => resolveArtifactLocation(bad, {}, { name: 'a', plugin: { key: 'k' } }))).toBe('LocationNotServed');
    expect(() => resolveArtifactLocation(bad, {}, { name: 'a', plugin: { key: 'k' } })).toThrow(/plugin configuration: coordinator: is required/);
    expect(codeOf(() => resolveArtifactLocation(w, {}, { name: 'a', plugin: { key: '' } }))).toBe('NoLocation');
    expect(codeOf(() => resolveArtifactLocation(wf({}), {}, { name: 'a', plugin: { key: 'k' } }))).toBe('NoLocation');
  });

  it('checks the configured bucket and endpoint like an oss location', () => {
    const other = (bucket: string, endpoint: string) => resolveArtifactLocation(w, {}, { name: 'a', plugin: { name: 'argo-oss', configuration: config(bucket, endpoint), key: 'k' } });
    expect(codeOf(() => assertServed(other('other-bucket', 'oss-cn-hangzhou.aliyuncs.com'), served))).toBe('LocationNotServed');
    expect(codeOf(() => assertServed(other('argo-artifacts', '169.254.169.254'), served))).toBe('LocationNotServed');
    expect(() => assertServed(other('argo-artifacts', 'https://oss-cn-hangzhou.aliyuncs.com'), served)).not.toThrow();
  });

  it('artifactKey reads the key of either block', () => {
    expect(artifactKey({ name: 'a', plugin: { key: 'p' } })).toBe('p');
    expect(artifactKey({ name: 'a', oss: { key: 'o' } })).toBe('o');
    expect(artifactKey({ name: 'a' })).toBeUndefined();
  });
});

describe('plugin configuration', () => {
  const field = (text: string | undefined) => {
    try {
      parsePluginConfiguration(text);
    } catch (err) {
      return err instanceof PluginConfigurationError ? err.field : `not a PluginConfigurationError: ${err}`;
    }
    return undefined;
  };

  it('reads YAML or JSON with coordinator, bucket, endpoint and optional tuning', () => {
    expect(parsePluginConfiguration('coordinator: https://up.example.com/\nbucket: argo-artifacts\nendpoint: oss-cn-hangzhou-internal.aliyuncs.com\npartSize: 64MiB\nconcurrency: 8\n')).toEqual({
      coordinator: 'https://up.example.com',
      bucket: 'argo-artifacts',
      endpoint: 'oss-cn-hangzhou-internal.aliyuncs.com',
      partSize: 64 * 1024 ** 2,
      concurrency: 8,
    });
    expect(parsePluginConfiguration('{"coordinator": "http://127.0.0.1:9000", "bucket": "abc", "endpoint": "http://127.0.0.1:9100", "partSize": 1048576}')).toMatchObject({ partSize: 1048576 });
  });

  it('names the field of a bad or missing value, and refuses unknown fields (nothing secret belongs here)', () => {
    const ok = 'coordinator: https://up.example.com\nbucket: argo-artifacts\nendpoint: e\n';
    expect(field(undefined)).toBe('configuration');
    expect(field('')).toBe('configuration');
    expect(field('- a list')).toBe('configuration');
    expect(field('a: [')).toBe('configuration');
    expect(field('x: &a 1\ny: *a')).toBe('configuration');
    expect(field('bucket: argo-artifacts\nendpoint: e')).toBe('coordinator');
    expect(field('coordinator: ftp://x\nbucket: argo-artifacts\nendpoint: e')).toBe('coordinator');
    expect(field('coordinator: https://u:p@x\nbucket: argo-artifacts\nendpoint: e')).toBe('coordinator');
    expect(field('coordinator: https://x\nbucket: Not_A_Bucket\nendpoint: e')).toBe('bucket');
    expect(field('coordinator: https://x\nbucket: argo-artifacts')).toBe('endpoint');
    expect(field(`${ok}partSize: 1KB`)).toBe('partSize');
    expect(field(`${ok}partSize: lots`)).toBe('partSize');
    expect(field(`${ok}concurrency: 0`)).toBe('concurrency');
    expect(field(`${ok}concurrency: lots`)).toBe('concurrency');
    expect(field(`${ok}accessKeySecret: {name: s, key: k}`)).toBe('accessKeySecret');
    expect(() => parsePluginConfiguration(`${ok}partSize: 1KB`)).toThrow(/^plugin configuration: partSize: /);
  });
});

describe('served storage', () => {
  const served = servedStorage({ ossBucket: 'argo-artifacts', ossRegion: 'cn-hangzhou', ossEndpoint: 'http://localhost:9100', servedEndpoints: [] });
  const loc = (bucket: string, endpoint: string) => ({ bucket, endpoint, key: 'k', source: 'artifact' as const });

  it('accepts our bucket under any spelling of our endpoints', () => {
    expect(canonicalEndpoint('https://OSS-cn-hangzhou-internal.aliyuncs.com/')).toBe('oss-cn-hangzhou.aliyuncs.com');
    for (const e of ['', 'localhost:9100', 'http://localhost:9100', 'oss-cn-hangzhou.aliyuncs.com', 'https://oss-cn-hangzhou-internal.aliyuncs.com']) {
      expect(() => assertServed(loc('argo-artifacts', e), served)).not.toThrow();
    }
  });

  it('refuses other buckets and other endpoints', () => {
    expect(codeOf(() => assertServed(loc('other', ''), served))).toBe('LocationNotServed');
    expect(codeOf(() => assertServed(loc('argo-artifacts', 'http://169.254.169.254'), served))).toBe('LocationNotServed');
    expect(codeOf(() => assertServed(loc('argo-artifacts', 'oss-cn-beijing.aliyuncs.com'), served))).toBe('LocationNotServed');
  });
});

describe('durations', () => {
  it('parses the spellings people use and rejects the rest', () => {
    expect(parseDurationSeconds('90')).toBe(90);
    expect(parseDurationSeconds('24h')).toBe(86400);
    expect(parseDurationSeconds('1h30m')).toBe(5400);
    expect(parseDurationSeconds('7d')).toBe(604800);
    expect(parseDurationSeconds('1.5h')).toBe(5400);
    for (const bad of ['', 'h', '-1h', '1w', '24 h', 'abc']) expect(parseDurationSeconds(bad)).toBeUndefined();
    expect(formatDurationSeconds(93784)).toBe('1d2h3m4s');
    expect(formatDurationSeconds(0)).toBe('0s');
  });
});
