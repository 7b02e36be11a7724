#!/usr/bin/env node
// Cross-check of the local OSS server with the official OSS Go SDK (Debian's
// golang-github-aliyun-aliyun-oss-go-sdk-dev): starts the server in-process on an ephemeral port
// with a temporary data dir, builds main.go in GOPATH mode, runs it against the server, and exits
// with its exit code.
//
//   node test/cross/go-sdk/run.mjs [--server-log] [-- <extra flags for the Go program, e.g. -trace>]
//
// Needs: apt-get install -y golang-go golang-github-aliyun-aliyun-oss-go-sdk-dev
// Environment: GO (go binary, default "go"), OSS_GO_SDK_GOPATH (GOPATH holding
// github.com/aliyun/aliyun-oss-go-sdk/oss, default /usr/share/gocode), GOCACHE (else go's default
// when writable, else a temp dir), GO_SDK_TIMEOUT_MS (default 600000).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APT_HINT = 'apt-get install -y golang-go golang-github-aliyun-aliyun-oss-go-sdk-dev';
const SDK_IMPORT = 'github.com/aliyun/aliyun-oss-go-sdk/oss';
const here = dirname(fileURLToPath(import.meta.url));

function fail(message) {
  console.error(`go-sdk cross-check: ${message}`);
  process.exit(2);
}

// ---- arguments ------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const dashdash = argv.indexOf('--');
const own = dashdash < 0 ? argv : argv.slice(0, dashdash);
const goArgs = dashdash < 0 ? [] : argv.slice(dashdash + 1);
const serverLog = own.includes('--server-log');
for (const a of own) if (a !== '--server-log') fail(`unknown option ${a} (use --server-log, or -- before Go program flags)`);

// ---- prerequisites: go and the SDK (no silent skip) -----------------------------------------
const goBin = process.env.GO || 'go';
const goVersion = spawnSync(goBin, ['version'], { encoding: 'utf8' });
if (goVersion.error || goVersion.status !== 0) {
  fail(`the Go toolchain ("${goBin}") is not available. Install it and the SDK with:\n  ${APT_HINT}`);
}
const gopath = process.env.OSS_GO_SDK_GOPATH || '/usr/share/gocode';
const sdkDir = gopath
  .split(delimiter)
  .map((p) => join(p, 'src', ...SDK_IMPORT.split('/')))
  .find((d) => existsSync(join(d, 'client.go')));
if (!sdkDir) {
  fail(`the OSS Go SDK (${SDK_IMPORT}) is not in GOPATH ${gopath}. Install it with:\n  ${APT_HINT}`);
}

// ---- temp dirs ------------------------------------------------------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'argo-oss-go-sdk-'));
const dataDir = join(tmp, 'data');
const buildDir = join(tmp, 'build');
const workDir = join(tmp, 'work');
for (const d of [dataDir, buildDir, workDir]) mkdirSync(d, { recursive: true });

function writableGoCache() {
  if (process.env.GOCACHE) return process.env.GOCACHE;
  const r = spawnSync(goBin, ['env', 'GOCACHE'], { encoding: 'utf8' });
  const dir = r.status === 0 ? r.stdout.trim() : '';
  if (!dir || dir === 'off') return join(tmp, 'gocache');
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch {
    return join(tmp, 'gocache');
  }
}

let server;
let child;
let cleanedUp = false;
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (server) await server.close().catch(() => {});
  rmSync(tmp, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    void cleanup().then(() => process.exit(130));
  });
}

function run(cmd, args, opts) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: 'inherit', ...opts });
    child = p;
    let timer;
    if (opts.timeoutMs) {
      timer = setTimeout(() => {
        console.error(`go-sdk cross-check: ${cmd} timed out after ${opts.timeoutMs} ms; killing it`);
        p.kill('SIGKILL');
      }, opts.timeoutMs);
    }
    p.on('error', (err) => {
      clearTimeout(timer);
      console.error(`go-sdk cross-check: cannot run ${cmd}: ${err.message}`);
      resolve(1);
    });
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

let exitCode = 1;
try {
  // ---- build (GOPATH mode, offline) ---------------------------------------------------------
  const bin = join(buildDir, 'go-sdk-check');
  const goEnv = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: gopath,
    GOCACHE: writableGoCache(),
    GOFLAGS: '',
    CGO_ENABLED: '0',
  };
  console.log(`# ${goVersion.stdout.trim()}; SDK at ${sdkDir}`);
  const built = await run(goBin, ['build', '-o', bin, 'main.go'], { cwd: here, env: goEnv, timeoutMs: 300_000 });
  if (built !== 0) {
    throw new Error(`building main.go failed (exit ${built}); is ${SDK_IMPORT} complete? (${APT_HINT})`);
  }

  // ---- server -------------------------------------------------------------------------------
  const { register } = await import('tsx/esm/api');
  register();
  const { startOssServer } = await import(new URL('../../../local/oss-server/index.ts', import.meta.url).href);
  const credentials = { accessKeyId: 'go-sdk-cross', accessKeySecret: randomBytes(18).toString('base64url') };
  const bucket = 'go-sdk-cross';
  const logLines = [];
  server = await startOssServer({
    port: 0,
    dataDir,
    buckets: [bucket],
    credentials: [credentials],
    log: (line) => {
      if (serverLog) console.error(`[oss-server] ${line}`);
      else logLines.push(line);
    },
  });

  // ---- run ----------------------------------------------------------------------------------
  exitCode = await run(
    bin,
    [
      '-endpoint', server.url,
      '-ak', credentials.accessKeyId,
      '-sk', credentials.accessKeySecret,
      '-bucket', bucket,
      '-workdir', workDir,
      ...goArgs,
    ],
    { env: { ...process.env }, timeoutMs: Number(process.env.GO_SDK_TIMEOUT_MS) || 600_000 },
  );
  if (exitCode !== 0 && !serverLog) {
    // Server-side internal errors and 5xx answers are not visible to the client: show them.
    const notable = logLines.filter((l) => l.startsWith('internal error') || / 5\d\d /.test(l) || /!aborted/.test(l));
    if (notable.length) {
      console.error('# server log lines with 5xx / aborted / internal errors (the resume check injects one 503 on UploadPart on purpose):');
      for (const l of notable) console.error(`#   ${l}`);
    }
  }
} catch (err) {
  console.error(`go-sdk cross-check: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = exitCode || 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
