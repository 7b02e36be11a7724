// Argo's effective artifactGC strategy (Workflow.GetArtifactGCStrategy) and the artifacts GC looks at
// (findArtifactsToGC): output artifacts of `type: Pod` nodes only. Pure.
//
//   artifact.artifactGC.strategy → spec.artifactGC.strategy → status.storedWorkflowTemplateSpec
//   .artifactGC.strategy (what a workflowTemplateRef contributes to Argo's execWf) → Never.
// An empty string means unset at every level. Archived logs (`main-logs`, any `<container>-logs`)
// carry no artifactGC of their own, so they follow the workflow strategy — Argo's GC would too, but
// only when some declared artifact has a strategy (argo#13421); we always do.
import { artifactKey, workflowNodes, type Artifact, type NodeStatus, type Workflow } from '../argo';
import type { EffectiveStrategy } from './types';

const KNOWN: readonly string[] = ['OnWorkflowCompletion', 'OnWorkflowDeletion', 'Never'];

export interface StrategyResolution {
  strategy: EffectiveStrategy;
  source: 'artifact' | 'workflow' | 'workflowTemplate' | 'default';
  /** A value Argo's CRD would not accept; treated as Never (nothing is deleted on a guess). */
  unknown?: string;
}

function setValue(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function resolved(value: string, source: StrategyResolution['source']): StrategyResolution {
  return KNOWN.includes(value) ? { strategy: value as EffectiveStrategy, source } : { strategy: 'Never', source, unknown: value };
}

/** The workflow-level strategy: the spec's, else the stored WorkflowTemplate spec's, else Never. */
export function workflowStrategy(wf: Workflow): StrategyResolution {
  const own = setValue(wf.spec?.artifactGC?.strategy);
  if (own) return resolved(own, 'workflow');
  const stored = setValue(wf.status?.storedWorkflowTemplateSpec?.artifactGC?.strategy);
  if (stored) return resolved(stored, 'workflowTemplate');
  return { strategy: 'Never', source: 'default' };
}

/** The artifact's effective strategy: its own when set, else the workflow's. */
export function artifactStrategy(wf: Workflow, artifact: Artifact): StrategyResolution {
  const own = setValue(artifact.artifactGC?.strategy);
  return own ? resolved(own, 'artifact') : workflowStrategy(wf);
}

/** Argo names an archived container log `<container>-logs` (normally `main-logs`). */
export function isLogArtifact(artifact: Artifact): boolean {
  const key = artifactKey(artifact);
  return /-logs$/.test(artifact.name) && (key === undefined || key.endsWith('.log'));
}

export interface GcCandidate {
  node: string;
  nodeStatus: NodeStatus;
  artifact: Artifact;
  strategy: StrategyResolution;
  log: boolean;
}

/**
 * Every output artifact of every Pod node, with its effective strategy. Throws ArgoError
 * (NodesOffloaded, NodesCorrupt) when the node status cannot be read: the caller reports the workflow
 * as not plannable instead of concluding there is nothing to do.
 */
export function gcCandidates(wf: Workflow): GcCandidate[] {
  const out: GcCandidate[] = [];
  const nodes = workflowNodes(wf);
  for (const node of Object.keys(nodes).sort()) {
    const status = nodes[node];
    if (status?.type !== 'Pod') continue;
    for (const artifact of status.outputs?.artifacts ?? []) {
      if (!artifact || typeof artifact.name !== 'string') continue;
      out.push({ node, nodeStatus: status, artifact, strategy: artifactStrategy(wf, artifact), log: isLogArtifact(artifact) });
    }
  }
  return out;
}

/** Every artifact key the workflow references anywhere (inputs and outputs of all nodes), for overlap checks. */
export function referencedKeys(wf: Workflow): string[] {
  const keys = new Set<string>();
  let nodes: Record<string, NodeStatus>;
  try {
    nodes = workflowNodes(wf);
  } catch {
    return [];
  }
  for (const n of Object.values(nodes)) {
    for (const a of [...(n?.outputs?.artifacts ?? []), ...(n?.inputs?.artifacts ?? [])]) {
      if (a?.deleted) continue;
      const key = a ? artifactKey(a) : undefined;
      if (typeof key === 'string' && key !== '') keys.add(key);
    }
  }
  return [...keys];
}
