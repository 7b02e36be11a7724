// Reading Argo Workflow objects: node hydration, templates and OSS artifact locations (pure).
export * from './types';
export { ArgoError, workflowNodes, findNode, type ArgoErrorCode } from './nodes';
export { findTemplate, resolveArtifactLocation, artifactKey, canonicalEndpoint, assertServed, servedStorage, type LocationSource, type ResolvedLocation, type ServedStorage, type LocationOptions } from './location';
export {
  parsePluginConfiguration,
  PluginConfigurationError,
  PLUGIN_CONFIGURATION_FIELDS,
  MAX_PLUGIN_CONCURRENCY,
  type PluginConfiguration,
} from './plugin-config';
