// Route → node → artifact → OSS key, through shared/argo. Everything a workflow says about storage is
// checked before it is used: the bucket and endpoint must be ours, the key must be an artifact key
// (inside the artifact root, outside the bookkeeping prefix, no traversal).
import { assertServed, findNode, resolveArtifactLocation, ArgoError, type Artifact, type NodeStatus, type ResolvedLocation, type ServedStorage, type Workflow } from '../argo';
import { HttpError } from '../http/errors';
import { validateArtifactKey } from '../tenancy';
import type { ArtifactIo } from './routes';

export interface ArtifactRef {
  nodeId: string;
  io: ArtifactIo;
  artifactName: string;
}

export interface ResolvedArtifact {
  node: NodeStatus & { id: string };
  artifact: Artifact;
  location: ResolvedLocation;
  /** The artifact's key, validated; a directory artifact's trailing '/' removed. */
  key: string;
}

export interface ResolveSettings {
  served: ServedStorage;
  /** ARGO_OSS_ARTIFACT_ROOT ('' = the whole bucket). */
  artifactRoot: string;
}

/** Validates a key the function is about to read; a workflow naming another key is refused (403). */
export function servedKey(key: string, artifactRoot: string): string {
  try {
    return validateArtifactKey(key, artifactRoot);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    throw new HttpError(403, 'KeyNotServed', `the artifact's key ${JSON.stringify(key)} is not served here: ${err.message.replace(/^key: /, '')}`);
  }
}

export function resolveArtifact(wf: Workflow, ref: ArtifactRef, settings: ResolveSettings): ResolvedArtifact {
  const node = findNode(wf, ref.nodeId);
  const artifact = (node[ref.io]?.artifacts ?? []).find((a) => a?.name === ref.artifactName);
  if (!artifact) {
    throw new ArgoError('ArtifactNotFound', `node ${ref.nodeId} of workflow ${wf.metadata.name} has no ${ref.io === 'inputs' ? 'input' : 'output'} artifact ${JSON.stringify(ref.artifactName)}`);
  }
  if (artifact.deleted === true) {
    throw new HttpError(410, 'ArtifactDeleted', `artifact ${ref.artifactName} of workflow ${wf.metadata.name} was deleted by artifact garbage collection`);
  }
  const location = resolveArtifactLocation(wf, node, artifact, settings.served);
  assertServed(location, settings.served);
  // Argo writes directory artifacts with or without a trailing '/' (#12857); both name the same prefix.
  const key = servedKey(location.key.replace(/\/+$/, ''), settings.artifactRoot);
  return { node, artifact, location, key };
}

/** The key of a file or directory below a directory artifact. */
export function childKey(base: string, subPath: readonly string[], artifactRoot: string): string {
  return subPath.length === 0 ? base : servedKey(`${base}/${subPath.join('/')}`, artifactRoot);
}

/** Argo's default archive (tar + gzip) by the key's name. */
export function isTgzKey(key: string): boolean {
  return /\.(tgz|tar\.gz)$/i.test(key);
}
