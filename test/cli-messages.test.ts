// What the CLI says, message by message: short usage errors that point to --help, "did you mean" for
// commands, subcommands and flags, --version, network failures in words that name the URL
// (refused, DNS, timed out), human-readable numbers and correct plurals, a progress bar that falls
// back to lines when the terminal reports no width, and the demo's hint when npm kept its options.
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { table } from '../cli/commands/gc';
import { networkReason, noAnswer } from '../cli/network';
import { closest } from '../cli/suggest';
import { Progress, autoMode } from '../cli/upload/progress';
import { decide } from '../cli/upload/retry';
import { formatBytes } from '../cli/upload/size';
import { uploadFile } from '../cli/upload/upload';
import { CoordinatorClient } from '../shared/upload/client';
import { runCli } from './helpers/cli';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** A usage error is two lines: what is wrong, and where the usage is — not the whole help. */
function shortUsageError(stderr: string, command: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toBe(command ? `Run 'argo-oss ${command} --help' for its usage.` : "Run 'argo-oss --help' for the commands.");
  expect(stderr).not.toContain('Options:');
}

describe('usage errors', () => {
  it('a mistyped command gets a suggestion and a pointer to --help', async () => {
    const r = await runCli(['uplaod']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('argo-oss: unknown command "uplaod" (did you mean upload?)');
    shortUsageError(r.stderr, '');
    expect((await runCli(['frobnicate'])).stderr).not.toContain('did you mean');
  });

  it('a mistyped flag gets a suggestion; a missing value and a stray argument are named', async () => {
    const flag = await runCli(['local', '--prot', '1']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('argo-oss local: unknown option --prot (did you mean --port?)');
    shortUsageError(flag.stderr, 'local');
    const value = await runCli(['upload', 'x', '--concurrency']);
    expect(value.stderr).toContain('argo-oss upload: --concurrency needs a value');
    const stray = await runCli(['local', 'extra']);
    expect(stray.stderr).toContain('argo-oss local: unexpected argument "extra"');
    shortUsageError(stray.stderr, 'local');
  });

  it('mistyped subcommands get a suggestion too', async () => {
    expect((await runCli(['gc', 'reconsile'])).stderr).toContain('unknown action "reconsile" (did you mean reconcile?)');
    expect((await runCli(['gc'])).stderr).toContain('action is required: reconcile or event');
    const life = await runCli(['lifecycle', 'shwo']);
    expect(life.code).toBe(2);
    expect(life.stderr).toContain('unknown subcommand "shwo" (did you mean show?)');
    shortUsageError(life.stderr, 'lifecycle');
  });

  it('--version prints the version', async () => {
    for (const arg of ['--version', '-V']) {
      const r = await runCli([arg]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(`argo-oss ${VERSION}`);
    }
    expect((await runCli(['--verison'])).stderr).toContain('unknown option --verison (did you mean --version?)');
  });

  it('suggests only what is close', () => {
    expect(closest('uplod', ['local', 'upload', 'gc'])).toBe('upload');
    expect(closest('--conccurency', ['--concurrency', '--coordinator'])).toBe('--concurrency');
    expect(closest('--coord', ['--concurrency', '--coordinator'])).toBe('--coordinator');
    expect(closest('xyz', ['local', 'upload', 'gc'])).toBeUndefined();
  });
});

describe('network failures', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let silentPort: number;
  let closedPort: number;
  let work: string;
  let file: string;

  beforeAll(async () => {
    // Accepts connections and never answers.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    silentPort = (silent.address() as { port: number }).port;
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    closedPort = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    work = await mkdtemp(join(tmpdir(), 'cli-messages-'));
    file = join(work, 'f.bin');
    await writeFile(file, 'hello');
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    await rm(work, { recursive: true, force: true });
  });

  const attempt = (url: string, timeoutMs = 10_000) =>
    uploadFile({ path: file, key: 'k/f.bin', coordinator: new CoordinatorClient({ url, token: 't', attempts: 1, timeoutMs }), progress: 'none', log: () => undefined });

  it('connection refused, naming the URL (never "the coordinator answered")', async () => {
    const url = `http://127.0.0.1:${closedPort}`;
    const err = (await attempt(url).catch((e: Error) => e)) as Error;
    expect(err.message).toBe(`could not start the upload: no answer from the coordinator at ${url}: connection refused (nothing is listening there)`);
    const cli = await runCli(['upload', file, '--key', 'k/f.bin', '--coordinator', url, '--token', 't', '--quiet']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`argo-oss upload: could not start the upload: no answer from the coordinator at ${url}: connection refused`);
    expect(cli.stderr).not.toContain('answered');
  }, 60_000);

  it('DNS failure and time-out, naming the URL', async () => {
    const dns = (await attempt('http://no-such-host.invalid:9000').catch((e: Error) => e)) as Error;
    expect(dns.message).toMatch(/^could not start the upload: no answer from the coordinator at http:\/\/no-such-host\.invalid:9000: DNS lookup failed/);
    const slow = (await attempt(`http://127.0.0.1:${silentPort}`, 300).catch((e: Error) => e)) as Error;
    expect(slow.message).toBe(`could not start the upload: no answer from the coordinator at http://127.0.0.1:${silentPort}: timed out (no answer in time)`);
  });

  it('a part PUT nothing answered names OSS and the reason', () => {
    const d = decide({ status: 0, code: 'ECONNRESET', message: 'socket hang up', origin: 'http://localhost:9100' }, new Date(Date.now() + 60_000), new Date(), 0);
    expect(d).toEqual({ action: 'retry', reason: 'no answer from OSS at http://localhost:9100: the connection was closed before an answer', minDelayMs: undefined });
    expect(networkReason('getaddrinfo EAI_AGAIN oss.example')).toMatch(/^DNS lookup failed/);
    expect(noAnswer('OSS', 'https://x', 'EWEIRD')).toBe('no answer from OSS at https://x: EWEIRD');
  });
});

describe('numbers and plurals', () => {
  it('byte rates are rounded, whatever the unit', () => {
    expect(formatBytes(150.9433962264151)).toBe('151 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(0)).toBe('0 B');
  });

  it('the progress line shows a human rate for a small file', () => {
    let now = 0;
    const p = new Progress({ label: 'up', total: 160, mode: 'lines', now: () => now, out: sink().out });
    now = 1060;
    p.bytesWritten(160);
    p.partUploaded(160, 160);
    expect(p.line()).toMatch(/^up: 100\.0% 160 B of 160 B, 151 B\/s, ETA 0s, parts 1$/);
  });

  it('GC summaries count in words', () => {
    const base = { planned: 1, deleted: 1, kept: 0, deferred: 0, refused: 0, failed: 0, skipped: 0, objects: 1, dryRun: false, errors: [], plan: [] };
    expect(table(base)).toBe('planned 1, deleted 1 (1 object), kept 0, deferred 0, refused 0, failed 0, skipped 0');
    const many = table({ ...base, deleted: 2, objects: 123_456, events: { received: 3, handled: 2, ignored: 0, malformed: 0, duplicates: 1 } });
    expect(many).toContain('deleted 2 (123,456 objects)');
    expect(many).toContain('1 duplicate,');
  });
});

function sink(columns?: number, isTTY = true) {
  const chunks: string[] = [];
  const out = Object.assign(
    new Writable({
      write(c, _e, cb) {
        chunks.push(String(c));
        cb();
      },
    }),
    { isTTY, columns },
  );
  return { out, text: () => chunks.join('') };
}

describe('progress output', () => {
  it('falls back to lines when the terminal width is unknown or 0', () => {
    expect(autoMode({ isTTY: true, columns: 0 })).toBe('lines');
    expect(autoMode({ isTTY: true })).toBe('lines');
    expect(autoMode({ isTTY: true, columns: 120 })).toBe('bar');
    expect(autoMode({ isTTY: false, columns: 120 })).toBe('lines');
    for (const columns of [0, undefined]) {
      const s = sink(columns);
      const p = new Progress({ label: 'upload big.bin', total: 1024 * 1024 * 1024, mode: 'bar', out: s.out, now: () => 0 });
      expect(p.mode).toBe('lines');
      p.stop();
      expect(s.text()).not.toContain('\r');
      expect(s.text()).toMatch(/^upload big\.bin: 0\.0% 0 B of 1\.00 GiB, .*parts 0\n$/);
    }
  });

  it('draws a bar when the width is known', () => {
    const s = sink(100);
    const p = new Progress({ label: 'up', total: 100, mode: 'bar', out: s.out, now: () => 0 });
    p.stop();
    expect(s.text()).toMatch(/^\r\[\.+\] up: /);
  });
});

describe('npm run demo', () => {
  const runDemo = (env: NodeJS.ProcessEnv, args: string[] = []) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [new URL('../bin/run-ts.mjs', import.meta.url).pathname, new URL('../scripts/demo.ts', import.meta.url).pathname, ...args], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });

  it('says how to pass --only when npm kept it (npm run demo --only gc)', async () => {
    const r = await runDemo({ npm_config_only: 'gc' });
    expect(r.code).toBe(2);
    expect(r.out).toContain('npm kept --only gc for itself');
    expect(r.out).toContain('npm run demo -- --only gc');
  }, 60_000);

  it('leaves an unrelated npm "only" setting alone', async () => {
    const r = await runDemo({ npm_config_only: 'production' }, ['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: npm run demo -- [options]');
  }, 60_000);
});
