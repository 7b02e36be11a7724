// Reading Argo Workflow objects: node hydration, templates and OSS artifact locations (pure).
export * from './types';
export { ArgoError, workflowNodes, findNode, type ArgoErrorCode } from './nodes';
export { findTemplate, resolveArtifactLocation, artifactKey, canonicalEndpoint, assertServed, servedStorage, type LocationSource, type ResolvedLocation, type ServedStorage, type LocationOptions } from './location';
export { DEFAULT_PLUGIN_NAME, parsePluginConfiguration, PluginConfigurationError, type PluginConfiguration } from './plugin';
