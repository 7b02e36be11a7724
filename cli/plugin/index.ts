// The Argo artifact-driver plugin (Argo Workflows ≥ 4.0): a gRPC ArtifactService on a Unix socket
// whose every byte goes through the upload coordinator — uploads with the pod uploader (cli/upload),
// reads, listings and deletes through the coordinator's /objects endpoints.
//
// Modules: proto (the service definition, embedded), context (configuration, token, client per call),
// save (Save, SaveStream), read (Load, OpenStream, ListObjects, IsDirectory, Delete), download (ranged
// parallel GETs into a file), server (gRPC server, socket, shutdown).
export { startPluginServer, socketPathOf, DEFAULT_SHUTDOWN_GRACE_MS, FRAME_BYTES, type PluginServer, type PluginServerOptions } from './server';
export { ARTIFACT_PROTO, artifactServiceDefinition } from './proto';
export { callerToken, PluginError } from './context';
