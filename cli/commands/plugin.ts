import { untilSignal, type Command } from '../command';
import { DEFAULT_SHUTDOWN_GRACE_MS, startPluginServer } from '../plugin';
import { SERVICE_ACCOUNT_TOKEN_FILE } from '../upload/token';

const usage = `Usage: argo-oss plugin SOCKET

Serves Argo's artifact-driver plugin API (gRPC ArtifactService, Argo Workflows >= 4.0) on the Unix
socket SOCKET, so that workflows using a \`plugin:\` artifact repository read and write every artifact
through the upload coordinator: Save/SaveStream as parallel, resumable, CRC-64-verified multipart
uploads; Load as ranged parallel GETs; OpenStream, ListObjects, IsDirectory and Delete through the
coordinator's /objects endpoints. Argo starts it with the socket path as the first argument (any
further arguments are ignored); the socket's directory is created and a stale socket replaced.
SIGTERM (or Ctrl-C) stops it: new calls are refused, calls in flight get ${DEFAULT_SHUTDOWN_GRACE_MS / 1000} s, then exit 0.

Each call brings the repository's \`configuration\` (YAML, no secrets):
  coordinator: https://…      the upload coordinator (required)
  bucket: NAME                the OSS bucket it serves (required)
  endpoint: HOST              that bucket's OSS endpoint (required)
  partSize: 64MiB             bytes per part / per read range (optional)
  concurrency: 8              parts / ranges in flight (optional)

Environment (the caller's identity; read again on every call):
  ARGO_OSS_TOKEN_FILE   file holding the bearer token (re-read when it changes)
  ARGO_OSS_TOKEN        the bearer token itself
  default               the pod's service-account token, ${SERVICE_ACCOUNT_TOKEN_FILE}`;

export const pluginCommand: Command = {
  name: 'plugin',
  summary: "serve Argo's artifact-driver plugin API on a Unix socket (Argo >= 4.0)",
  usage,
  async run(argv) {
    // Only the first argument: Argo appends the executor's args (e.g. --kubeconfig=…) after it.
    const socket = argv[0];
    if (socket === undefined || socket === '' || socket.startsWith('-')) {
      console.error(`argo-oss plugin: SOCKET is required\n\n${usage}`);
      return 2;
    }
    const server = await startPluginServer({ socket });
    console.log(`argo-oss plugin: serving unix://${server.socketPath}`);
    const signal = await untilSignal();
    console.error(`argo-oss plugin: ${signal}: shutting down (${server.inflight()} call(s) in flight)`);
    await server.close();
    console.error('argo-oss plugin: stopped');
    return 0;
  },
};
