import { resolve, join } from 'node:path';
import { parseFlags, parsePort, untilSignal, type Command } from '../command';
import { startLocalStack } from '../../local/stack';
import { LOCAL_DEFAULT_PORTS } from '../../local/defaults';
import { localSettingsFromEnv } from '../../local/env';
import { startLocalPlugin, LOCAL_PLUGIN_NAMESPACE, LOCAL_PLUGIN_POD, type LocalPlugin } from '../../local/plugin-sidecar';

const usage = `Usage: argo-oss local [options]

Runs the whole bundle on this machine with no cloud account: an OSS-compatible server, a file-backed
Kubernetes API and the function gateway. Stops cleanly on Ctrl-C.

Options:
  --port PORT          function gateway port (default ${LOCAL_DEFAULT_PORTS.gateway})
  --oss-port PORT      OSS-compatible server port (default ${LOCAL_DEFAULT_PORTS.oss})
  --cluster-port PORT  Kubernetes API port (default ${LOCAL_DEFAULT_PORTS.cluster})
  --host HOST          address to listen on (default 127.0.0.1)
  --data-dir DIR       where objects and state live (default ./.local)
  --cluster-dir DIR    Workflow/Pod manifests and tokens.yaml (default <data-dir>/cluster)
  --plugin             also run the Argo artifact-driver plugin (argo-oss plugin) on a Unix socket,
                       as the sidecar of a pod of the local cluster with that pod's token; prints the
                       socket and a configuration for plugin artifacts (docs/plugin.md)
  --no-example         do not seed the example Workflow argo/hello-artifacts (seeded once, at the first start)
  --quiet              do not log each request

Browsing: the printed example link is a share link (no sign-in); for anything else open
<gateway>/sign-in and paste a token from tokens.yaml (the admin token is printed below).
Share links (POST /share) are on: the secret is ARGO_OSS_SHARE_SECRET, else one generated at the
first start and kept in <data-dir>/share-secret; both are written to <data-dir>/local.env.

Environment:
  OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET  credentials the OSS server accepts (default argo-oss-local /
                                            argo-oss-local-secret)
  OSS_SECURITY_TOKEN                        make the OSS server also require this STS token
  OSS_BUCKET                                bucket created at start (default argo-artifacts)
  OSS_REGION                                region of V4 signatures (default cn-hangzhou)
  ARGO_OSS_LOCAL_TOKEN                      admin bearer token for the Kubernetes API (generated when unset)
  ARGO_OSS_SHARE_SECRET                     secret of share links (generated and kept in the data dir when unset)
  ARGO_OSS_FAULTS                           JSON array of OSS faults to inject from the start`;

export const localCommand: Command = {
  name: 'local',
  summary: 'run the local stack: OSS-compatible server + Kubernetes API + function gateway',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      port: { type: 'string' },
      'oss-port': { type: 'string' },
      'cluster-port': { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'cluster-dir': { type: 'string' },
      plugin: { type: 'boolean' },
      quiet: { type: 'boolean' },
      'no-example': { type: 'boolean' },
    });
    const dataDir = resolve(values['data-dir'] ?? '.local');
    const settings = localSettingsFromEnv();
    const clusterDir = values['cluster-dir'] ? resolve(values['cluster-dir']) : join(dataDir, 'cluster');
    const stack = await startLocalStack({
      dataDir,
      clusterDir,
      host: values.host,
      ports: {
        gateway: parsePort('port', values.port, LOCAL_DEFAULT_PORTS.gateway),
        oss: parsePort('oss-port', values['oss-port'], LOCAL_DEFAULT_PORTS.oss),
        cluster: parsePort('cluster-port', values['cluster-port'], LOCAL_DEFAULT_PORTS.cluster),
      },
      ...settings,
      example: !values['no-example'],
      log: values.quiet ? undefined : (line) => console.log(line),
    });
    const { env } = stack;
    let plugin: LocalPlugin | undefined;
    if (values.plugin) {
      try {
        plugin = await startLocalPlugin({
          dataDir,
          clusterDir,
          coordinator: stack.gateway.url,
          bucket: env.OSS_BUCKET,
          endpoint: env.OSS_ENDPOINT,
          // This very CLI (the bundle, or bin/argo-oss.mjs from a checkout).
          command: [process.execPath, ...process.execArgv, process.argv[1]],
          log: values.quiet ? undefined : (line) => console.log(line),
        });
      } catch (err) {
        await stack.close();
        throw err;
      }
    }
    console.log(
      [
        'argo-oss local stack is running',
        `  gateway     ${stack.gateway.url}`,
        `  OSS         ${env.OSS_ENDPOINT}   bucket ${env.OSS_BUCKET}, region ${env.OSS_REGION}`,
        `              access key ${env.OSS_ACCESS_KEY_ID} / ${env.OSS_ACCESS_KEY_SECRET}`,
        `  Kubernetes  ${stack.kube.url}   kubeconfig ${env.KUBECONFIG}`,
        `  admin token ${env.ARGO_OSS_TOKEN}`,
        `  share links on, secret ${stack.shareSecret}`,
        `  data        ${dataDir}`,
        '',
        'Open in a browser:',
        ...(stack.example
          ? [
              `  example     ${stack.example.shareUrl}`,
              `              (a share link, valid 24 h, no sign-in; also ${stack.example.url} once signed in)`,
            ]
          : []),
        ...(stack.signInUrl ? [`  sign in     ${stack.signInUrl}   (paste the admin token above)`] : []),
        '',
        'Functions on the gateway:',
        `  uploads     ${stack.gateway.url}/uploads                  (argo-oss upload)`,
        `  downloads   ${stack.gateway.url}/artifact-files/<ns>/workflows/<wf>/<node>/outputs/<artifact>/`,
        `              (also /artifacts, /input-artifacts, POST /share; workflows from ${join(clusterDir, 'workflows')})`,
        `  GC          POST ${stack.gateway.url}/events (CloudEvents)   POST ${stack.gateway.url}/reconcile`,
        '              (admin routes: Authorization: Bearer <admin token>)',
        ...(plugin
          ? [
              `  plugin      unix://${plugin.socket}   (argo-oss plugin, the sidecar of pod ${LOCAL_PLUGIN_NAMESPACE}/${LOCAL_PLUGIN_POD})`,
              `              configuration ${plugin.configuration}`,
              `              writes keys under ${plugin.keyPrefix}, reads ${LOCAL_PLUGIN_NAMESPACE}'s`,
            ]
          : []),
        '',
        `In another terminal:  source ${stack.envFile}   (then: npm run demo)`,
        'Press Ctrl-C to stop.',
      ].join('\n'),
    );
    const signal = await untilSignal();
    console.log(`\n${signal}: stopping…`);
    await plugin?.close();
    await stack.close();
    return 0;
  },
};
