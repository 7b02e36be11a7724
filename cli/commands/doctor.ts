import { ConfigError, loadConfig } from '../../shared/config';
import { kubeConfigFromConfig } from '../../shared/k8s';
import { createOssClientFromConfig, type OssClient } from '../../shared/oss';
import { formatReport, REQUIRED_PERMISSIONS, runDoctor, type DoctorTargets } from '../doctor/checks';
import { parseFlags, UsageError, type Command } from '../command';

const usage = `Usage: argo-oss doctor [options]

Checks an installation from the outside — after \`npm run deploy\`, or against \`npm start\` with its
local.env sourced (then no options are needed) — and prints a pass/fail table with the fix for each
failure. Exit code 0 only when no check failed (a check without its settings is skipped).

  coordinator  the upload coordinator answers, checking --token with the cluster
  download     the download function answers, reading a workflow with --token
  gc           a synthetic completion event of a workflow that does not exist is acknowledged (--gc)
  cluster      the functions' identity (--kubeconfig) may ${REQUIRED_PERMISSIONS.map((p) => `${p.verb} ${p.resource}`).join(', ')}
  bucket       a probe object under .argo-oss/doctor/ is written, read back and deleted (OSS_* settings)
  clock        this machine's clock agrees with the servers'
  plugin       the artifact plugin's Unix socket accepts connections (--plugin-socket)

Options:
  --coordinator URL   upload coordinator (default ARGO_OSS_COORDINATOR)
  --download URL      download function / its custom domain (default ARGO_OSS_GATEWAY)
  --gc URL            where GC takes CloudEvents over HTTP: the local gateway (default ARGO_OSS_GATEWAY)
  --token TOKEN       a Kubernetes token of a member of ARGO_OSS_ADMIN_GROUPS (default ARGO_OSS_TOKEN)
  --namespace NS      namespace of the synthetic workflow (default argo)
  --kubeconfig FILE   the functions' kubeconfig (default KUBECONFIG)
  --plugin-socket P   the artifact plugin's socket
  --json              print the results as JSON

Environment: OSS_BUCKET, OSS_REGION, OSS_ENDPOINT and OSS credentials for the bucket check.`;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check an installation: functions, cluster RBAC, bucket, clock, plugin; the fix for each failure',
  usage,
  async run(argv) {
    const { values } = parseFlags(argv, {
      coordinator: { type: 'string' },
      download: { type: 'string' },
      gc: { type: 'string' },
      token: { type: 'string' },
      namespace: { type: 'string' },
      kubeconfig: { type: 'string' },
      'plugin-socket': { type: 'string' },
      json: { type: 'boolean' },
    });
    let config;
    try {
      config = loadConfig(process.env);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    for (const flag of ['coordinator', 'download', 'gc'] as const) {
      const v = values[flag];
      if (v !== undefined && !/^https?:\/\/[^/]/.test(v)) throw new UsageError(`--${flag} must be an http(s) URL, got ${JSON.stringify(v)}`);
    }
    const kubeconfigPath = values.kubeconfig ?? config.kubeconfigPath;
    let oss: OssClient | undefined;
    try {
      oss = createOssClientFromConfig(config);
    } catch {
      oss = undefined; // no credentials: the bucket check says what to set
    }
    const targets: DoctorTargets = {
      coordinatorUrl: values.coordinator ?? config.uploadCoordinatorUrl,
      downloadUrl: values.download ?? config.localGatewayUrl,
      gcUrl: values.gc ?? config.localGatewayUrl,
      token: values.token ?? config.uploadToken,
      namespace: values.namespace ?? 'argo',
      ...(kubeconfigPath ? { kubeConfig: kubeConfigFromConfig({ kubeconfigPath }).kubeConfig } : {}),
      ...(oss ? { oss } : {}),
      ...(values['plugin-socket'] ? { pluginSocket: values['plugin-socket'] } : {}),
    };
    try {
      const results = await runDoctor(targets);
      const ok = results.every((r) => r.status !== 'fail');
      console.log(values.json ? JSON.stringify({ ok, checks: results }, null, 2) : formatReport(results));
      return ok ? 0 : 1;
    } finally {
      oss?.close();
    }
  },
};
