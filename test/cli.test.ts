import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli';

describe('argo-oss command', () => {
  it('lists its commands with --help', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: argo-oss <command>/);
    expect(r.stdout).toMatch(/\blocal\b/);
    expect(r.stdout).toMatch(/\boss-server\b/);
  });

  it('shows usage and exits 2 without a command', async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Commands:/);
  });

  it('names an unknown command', async () => {
    const r = await runCli(['uplaod']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "uplaod"');
  });

  it('prints a command usage with --help', async () => {
    const r = await runCli(['local', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--oss-port');
    expect(r.stdout).toContain('ARGO_OSS_LOCAL_TOKEN');
  });

  it('names the bad flag and exits 2', async () => {
    const port = await runCli(['oss-server', '--port', 'ninety']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port must be a port number');
    const unknown = await runCli(['local', '--prot', '1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option --prot');
    const bucket = await runCli(['oss-server', '--bucket', 'Not_A_Bucket']);
    expect(bucket.code).toBe(2);
    expect(bucket.stderr).toMatch(/--bucket: "Not_A_Bucket" is not a valid OSS bucket name/);
  });

  it('refuses half-set credentials, naming the missing variable', async () => {
    const r = await runCli(['oss-server', '--port', '0'], { OSS_ACCESS_KEY_ID: 'only-the-id', OSS_ACCESS_KEY_SECRET: '' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/OSS_ACCESS_KEY_SECRET: is not set but OSS_ACCESS_KEY_ID is/);
  });
});
