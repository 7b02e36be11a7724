// The executor harness (tests, demo): Argo's controller and executor artifact steps for a Workflow
// manifest, against an artifact-driver plugin on a Unix socket, in the local cluster. See harness.ts.
export { runWorkflow, type HarnessCluster, type MainFunction, type MainResult, type PluginRepository, type PluginSidecar, type PodInfo, type PodRun, type RunOptions, type RunResult, type StartPlugin } from './harness';
export { pluginProcess, ARGO_OSS_PLUGIN_COMMAND, type PluginProcessOptions } from './plugin-process';
export { ArtifactPluginClient, PluginCallError, type ArtifactMessage, type PluginArtifactMessage } from './client';
export { fnv32a, nodeId, podName, generatedName } from './names';
