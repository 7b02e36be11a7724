// Where an artifact lives on OSS, resolved the way Argo Server and Argo's GC do: the artifact's own
// `oss` block, else its template's `archiveLocation`, else `status.artifactRepositoryRef`. Then a check
// that the location is one this deployment serves: the functions always read and delete with their own
// client against their own endpoint, so a workflow can never point them at another host or bucket.
//
// Artifacts written through the argo-oss artifact plugin (`plugin: {key}`) resolve the same way: the
// first of those three levels with a plugin name and configuration (Argo's HasLocation / Relocate)
// supplies them; a plugin of another name is another storage (UnsupportedStorage, as any non-OSS
// artifact); ours gives the bucket and endpoint of its configuration, checked like an `oss` location.
import { ArgoError } from './nodes';
import { DEFAULT_PLUGIN_NAME } from '../config';
import { parsePluginConfiguration, PluginConfigurationError } from './plugin-config';
import type { Artifact, ArtifactLocation, NodeStatus, PluginLocation, Template, Workflow } from './types';

export type LocationSource = 'artifact' | 'template' | 'repository';

export interface ResolvedLocation {
  bucket: string;
  /** As written in the workflow (may be empty when only the bucket is given). */
  endpoint: string;
  key: string;
  /** Which of the three places supplied the bucket. */
  source: LocationSource;
  /** The artifact plugin whose configuration named the bucket (`plugin` artifacts only). */
  plugin?: string;
}

export interface LocationOptions {
  /** ARGO_OSS_PLUGIN_NAME: the artifact plugin whose locations are ours (default argo-oss). */
  pluginName?: string;
}

/** The template a node ran: by templateRef (stored templates) or by name (spec, stored spec, stored templates). */
export function findTemplate(wf: Workflow, node: NodeStatus): Template | undefined {
  const stored = wf.status?.storedTemplates ?? {};
  const ref = node.templateRef;
  if (ref?.name && ref.template) {
    for (const scope of ref.clusterScope ? ['cluster', 'namespaced'] : ['namespaced', 'cluster']) {
      const t = stored[`${scope}/${ref.name}/${ref.template}`];
      if (t) return t;
    }
    return Object.entries(stored).find(([id]) => id.endsWith(`/${ref.name}/${ref.template}`))?.[1];
  }
  const name = node.templateName;
  if (!name) return undefined;
  const local = wf.spec?.templates?.find((t) => t.name === name) ?? wf.status?.storedWorkflowTemplateSpec?.templates?.find((t) => t.name === name);
  if (local) return local;
  if (node.templateScope && node.templateScope !== 'local/') {
    const scoped = stored[`${node.templateScope.replace(/\/$/, '')}/${name}`];
    if (scoped) return scoped;
  }
  return stored[`namespaced/${name}`] ?? Object.entries(stored).find(([id]) => id.endsWith(`/${name}`))?.[1];
}

function ossOf(loc: ArtifactLocation | undefined) {
  return loc?.oss && typeof loc.oss === 'object' ? loc.oss : undefined;
}

/** The artifact's key as its location block records it (`oss` or `plugin`), or undefined when it has none. */
export function artifactKey(artifact: Artifact): string | undefined {
  for (const block of [artifact.oss, artifact.plugin]) {
    if (block && typeof block === 'object' && typeof block.key === 'string') return block.key;
  }
  return undefined;
}

function pluginOf(loc: ArtifactLocation | undefined): PluginLocation | undefined {
  return loc?.plugin && typeof loc.plugin === 'object' ? loc.plugin : undefined;
}

/** Argo's PluginArtifact.HasLocation without the key: a name and a configuration. */
function hasPluginLocation(p: PluginLocation | undefined): p is PluginLocation & { name: string; configuration: string } {
  return typeof p?.name === 'string' && p.name !== '' && typeof p.configuration === 'string' && p.configuration !== '';
}

function resolvePluginLocation(wf: Workflow, node: NodeStatus, artifact: Artifact, own: PluginLocation, pluginName: string): ResolvedLocation {
  const key = typeof own.key === 'string' ? own.key : '';
  if (key === '') throw new ArgoError('NoLocation', `artifact ${artifact.name} has no plugin key`);
  const candidates: [LocationSource, PluginLocation | undefined][] = [
    ['artifact', own],
    ['template', pluginOf(findTemplate(wf, node)?.archiveLocation)],
    ['repository', pluginOf(wf.status?.artifactRepositoryRef?.artifactRepository)],
  ];
  for (const [source, loc] of candidates) {
    if (!hasPluginLocation(loc)) continue;
    if (loc.name !== pluginName) {
      throw new ArgoError('UnsupportedStorage', `artifact ${artifact.name} is stored by the artifact plugin ${JSON.stringify(loc.name)} (${source}), not by ${JSON.stringify(pluginName)}`);
    }
    try {
      const config = parsePluginConfiguration(loc.configuration);
      return { bucket: config.bucket, endpoint: config.endpoint, key, source, plugin: loc.name };
    } catch (err) {
      if (!(err instanceof PluginConfigurationError)) throw err;
      throw new ArgoError('LocationNotServed', `artifact ${artifact.name} (plugin location from the ${source}): ${err.message}`);
    }
  }
  throw new ArgoError('NoLocation', `artifact ${artifact.name}: no plugin name and configuration in the artifact, its template's archiveLocation or the workflow's artifact repository`);
}

/**
 * The artifact's OSS location (from an `oss` block, or a `plugin` block of our plugin); throws ArgoError
 * (UnsupportedStorage, NoLocation, LocationNotServed for our plugin with an unusable configuration).
 */
export function resolveArtifactLocation(wf: Workflow, node: NodeStatus, artifact: Artifact, options: LocationOptions = {}): ResolvedLocation {
  const own = artifact.oss;
  if (!own) {
    if (artifact.plugin && typeof artifact.plugin === 'object') return resolvePluginLocation(wf, node, artifact, artifact.plugin, options.pluginName ?? DEFAULT_PLUGIN_NAME);
    const other = ['s3', 'gcs', 'azure', 'hdfs', 'http', 'artifactory', 'git', 'raw', 'plugin', 'huggingface'].find((k) => artifact[k] !== undefined);
    if (other) throw new ArgoError('UnsupportedStorage', `artifact ${artifact.name} is stored in ${other}, not OSS`);
    throw new ArgoError('NoLocation', `artifact ${artifact.name} has no location: it was never written (optional artifact?)`);
  }
  const key = typeof own.key === 'string' ? own.key : '';
  if (key === '') throw new ArgoError('NoLocation', `artifact ${artifact.name} has no OSS key`);
  const candidates: [LocationSource, { bucket?: string; endpoint?: string } | undefined][] = [
    ['artifact', own],
    ['template', ossOf(findTemplate(wf, node)?.archiveLocation)],
    ['repository', ossOf(wf.status?.artifactRepositoryRef?.artifactRepository)],
  ];
  for (const [source, loc] of candidates) {
    if (loc?.bucket) return { bucket: loc.bucket, endpoint: loc.endpoint ?? '', key, source };
  }
  throw new ArgoError('NoLocation', `artifact ${artifact.name}: no bucket in the artifact, its template's archiveLocation or the workflow's artifact repository`);
}

/** What a deployment serves: one bucket, reachable under these endpoint spellings. */
export interface ServedStorage extends LocationOptions {
  bucket: string;
  /** Endpoints (with or without scheme) artifacts may name; compared by canonicalEndpoint. */
  endpoints: readonly string[];
}

/** Host[:port] in lower case, without scheme or path; `oss-<region>-internal` is the same service as `oss-<region>`. */
export function canonicalEndpoint(endpoint: string): string {
  const host = endpoint.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/\/.*$/, '');
  return host.replace(/^oss-([a-z0-9-]+?)-internal\.aliyuncs\.com/, 'oss-$1.aliyuncs.com').replace(/:(80|443)$/, '');
}

/** Throws ArgoError LocationNotServed unless the bucket is ours and the endpoint (when given) is one of ours. */
export function assertServed(loc: ResolvedLocation, served: ServedStorage): void {
  if (loc.bucket !== served.bucket) {
    throw new ArgoError('LocationNotServed', `bucket ${JSON.stringify(loc.bucket)} is not served here (this deployment serves ${served.bucket})`);
  }
  if (loc.endpoint === '') return;
  const want = canonicalEndpoint(loc.endpoint);
  if (!served.endpoints.some((e) => canonicalEndpoint(e) === want)) {
    throw new ArgoError('LocationNotServed', `endpoint ${JSON.stringify(loc.endpoint)} is not served here`);
  }
}

/** The storage a deployment serves, from its configuration (ARGO_OSS_SERVED_ENDPOINTS or the defaults). */
export function servedStorage(config: { ossBucket: string; ossRegion: string; ossEndpoint?: string; servedEndpoints: readonly string[]; pluginName?: string }): ServedStorage {
  const endpoints = config.servedEndpoints.length > 0
    ? config.servedEndpoints
    : [...(config.ossEndpoint ? [config.ossEndpoint] : []), `oss-${config.ossRegion}.aliyuncs.com`];
  return { bucket: config.ossBucket, endpoints, pluginName: config.pluginName ?? DEFAULT_PLUGIN_NAME };
}
