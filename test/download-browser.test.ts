// A real browser downloads artifacts through the listing pages of the download routes on the local
// stack: headless Chromium (Debian's `chromium`; .ci/run installs it) driven over the DevTools
// protocol on --remote-debugging-pipe (fds 3/4, NUL-separated JSON; no dependency), authenticated
// by Argo's `authorization` cookie. It opens a directory listing, follows a sub-directory link,
// clicks a file, waits for the download to complete and checks the saved file's sha256 — likewise
// for a member of a .tgz artifact. This catches what HTTP-level tests cannot: a CSP sandbox that
// blocks downloads, a Content-Disposition the browser does not understand, links that do not resolve.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTgzStream } from '../cli/upload/tgz';
import { LOCAL_DEFAULT_BUCKET, LOCAL_DEFAULT_CREDENTIALS, LOCAL_DEFAULT_REGION } from '../local/defaults';
import { startLocalStack, type LocalStack } from '../local/stack';
import { createOssClient, putObject, type OssClient } from '../shared/oss';

const NAMESPACE = 'argo';
const WORKFLOW = 'browser-wf';
const NODE_ID = 'browser-wf-3141592653';
const ADMIN_TOKEN = 'browser-test-admin';
const READER_TOKEN = 'browser-test-reader';
const WAIT_MS = 30_000;

/** The Chromium binary, if one is installed. */
function findChromium(): string | undefined {
  for (const name of [process.env.CHROMIUM_BIN, 'chromium', 'chromium-browser'].filter(Boolean) as string[]) {
    const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return name;
  }
  return undefined;
}

// Without a Chromium the check is skipped and says so; .ci/run installs one and sets
// ARGO_OSS_REQUIRE_BROWSER=1, which turns the skip into a failure.
const CHROMIUM = findChromium();
const NO_CHROMIUM =
  'no Chromium found (tried $CHROMIUM_BIN, chromium, chromium-browser). Install it with ' +
  '`sudo apt-get install -y chromium` (Debian/Ubuntu) or point CHROMIUM_BIN at a Chromium/Chrome binary to run it.';
if (!CHROMIUM) {
  if (process.env.ARGO_OSS_REQUIRE_BROWSER === '1') {
    throw new Error(`test/download-browser.test.ts: ARGO_OSS_REQUIRE_BROWSER=1 (set by .ci/run) requires the browser check, but ${NO_CHROMIUM}`);
  }
  console.warn(`SKIPPED test/download-browser.test.ts (browser download check): ${NO_CHROMIUM}`);
}

interface CdpMessage {
  id?: number;
  method?: string;
  params?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  result?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  error?: { code: number; message: string };
  sessionId?: string;
}

/** A minimal DevTools-protocol client over Chromium's --remote-debugging-pipe. */
class Browser {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: CdpMessage['result']) => void; reject: (e: Error) => void; method: string }>();
  private readonly waiters = new Set<(m: CdpMessage) => void>();
  private stderr = '';
  private buffer = '';
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly userDataDir: string,
  ) {
    const out = child.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (d: string) => {
      this.buffer += d;
      for (let i = this.buffer.indexOf('\0'); i >= 0; i = this.buffer.indexOf('\0')) {
        const m = JSON.parse(this.buffer.slice(0, i)) as CdpMessage;
        this.buffer = this.buffer.slice(i + 1);
        this.dispatch(m);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    child.once('exit', (code, signal) => {
      this.exited = true;
      for (const p of this.pending.values()) p.reject(new Error(`chromium exited (${code ?? signal}) during ${p.method}:\n${this.stderr}`));
      this.pending.clear();
    });
  }

  static async launch(bin: string): Promise<Browser> {
    const userDataDir = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    const child = spawn(
      bin,
      [
        '--headless',
        '--no-sandbox',
        `--user-data-dir=${userDataDir}`,
        '--remote-debugging-pipe',
        '--no-first-run',
        '--no-default-browser-check',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-extensions',
        'about:blank',
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
    );
    const b = new Browser(child, userDataDir);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    await b.send('Browser.getVersion');
    return b;
  }

  private dispatch(m: CdpMessage): void {
    if (m.id !== undefined) {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p?.reject(new Error(`${p.method}: ${m.error.message}`));
      else p?.resolve(m.result ?? {});
      return;
    }
    for (const w of [...this.waiters]) w(m);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (this.exited) return Promise.reject(new Error(`chromium has exited:\n${this.stderr}`));
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: CdpMessage['result']) => void, reject, method });
      (this.child.stdio[3] as Writable).write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  /** Resolves with the params of the first event `method` that `match` accepts; register before acting. */
  waitFor(method: string, match: (params: Record<string, any>) => boolean = () => true, what = method): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}\n${this.stderr.slice(-1500)}`));
      }, WAIT_MS);
      const waiter = (m: CdpMessage): void => {
        if (m.method !== method || !match(m.params ?? {})) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(m.params ?? {});
      };
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise((r) => this.child.once('exit', r));
      await this.send('Browser.close').catch(() => undefined);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    await rm(this.userDataDir, { recursive: true, force: true });
  }
}

/** One tab with Page and Network events on. */
class Tab {
  private constructor(
    private readonly browser: Browser,
    readonly sessionId: string,
  ) {}

  /** `isolated`: in a fresh browser context (no cookies of other tabs). */
  static async open(browser: Browser, isolated = false): Promise<Tab> {
    const context = isolated ? await browser.send('Target.createBrowserContext') : undefined;
    const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank', ...(context ? { browserContextId: context.browserContextId } : {}) });
    const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
    const tab = new Tab(browser, sessionId as string);
    await tab.send('Page.enable');
    await tab.send('Network.enable');
    return tab;
  }

  send(method: string, params: Record<string, unknown> = {}) {
    return this.browser.send(method, params, this.sessionId);
  }

  /** Navigates (or runs `action`) and waits for the new document's load event; returns its HTTP status. */
  async loads(action: () => Promise<unknown>, what: string): Promise<number> {
    const response = this.browser.waitFor('Network.responseReceived', (p) => p.type === 'Document', `the response of ${what}`);
    const loaded = this.browser.waitFor('Page.loadEventFired', () => true, `the load of ${what}`);
    await action();
    const r = await response;
    await loaded;
    return r.response.status as number;
  }

  async navigate(url: string): Promise<number> {
    return this.loads(async () => {
      const r = await this.send('Page.navigate', { url });
      if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
    }, url);
  }

  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`evaluate ${expression}: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value as T;
  }

  /** The link texts of the page, in order. */
  links(): Promise<string[]> {
    return this.evaluate<string[]>('[...document.querySelectorAll("a")].map((a) => a.textContent)');
  }

  /** A real mouse click (pressed + released) in the middle of the link whose text is `text`. */
  async click(text: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number; w: number; h: number } | null>(
      `(() => { const a = [...document.querySelectorAll("a")].find((a) => a.textContent === ${JSON.stringify(text)});
        if (!a) return null; a.scrollIntoView(); const r = a.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; })()`,
    );
    if (!box) throw new Error(`no link ${JSON.stringify(text)} on the page; links: ${JSON.stringify(await this.links())}`);
    const at = { x: box.x + box.w / 2, y: box.y + box.h / 2, button: 'left', clickCount: 1 };
    await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: at.x, y: at.y });
    await this.send('Input.dispatchMouseEvent', { type: 'mousePressed', ...at });
    await this.send('Input.dispatchMouseEvent', { type: 'mouseReleased', ...at });
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

let work: string;
let stack: LocalStack;
let oss: OssClient;
let browser: Browser;
let downloads: string;
const dirFile = { name: 'résumé data.bin', data: randomBytes(3 * 1024 * 1024 + 17) };
const memberFile = { name: 'report.csv', data: Buffer.from(Array.from({ length: 20_000 }, (_, i) => `${i},${i * i}`).join('\n')) };

function workflow(): object {
  const pod = `${NAMESPACE}/${WORKFLOW}/${WORKFLOW}-main-3141592653`;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: WORKFLOW, namespace: NAMESPACE },
    spec: {
      entrypoint: 'main',
      templates: [{ name: 'main', container: { image: 'alpine:3.20' }, outputs: { artifacts: [{ name: 'results', path: '/tmp/results', archive: { none: {} } }, { name: 'bundle', path: '/tmp/bundle' }] } }],
    },
    status: {
      phase: 'Succeeded',
      artifactRepositoryRef: { artifactRepository: { oss: { bucket: LOCAL_DEFAULT_BUCKET, keyFormat: '{{workflow.namespace}}/{{workflow.name}}/{{pod.name}}' } } },
      nodes: {
        [NODE_ID]: {
          id: NODE_ID,
          name: WORKFLOW,
          displayName: WORKFLOW,
          type: 'Pod',
          templateName: 'main',
          phase: 'Succeeded',
          outputs: {
            artifacts: [
              { name: 'results', path: '/tmp/results', archive: { none: {} }, oss: { key: `${pod}/results` } },
              { name: 'bundle', path: '/tmp/bundle', oss: { key: `${pod}/bundle.tgz` } },
            ],
          },
        },
      },
    },
  };
}

/** Clicks `text` on the tab and waits for the download it starts; returns the saved bytes and the browser's file name. */
async function clickAndDownload(tab: Tab, text: string): Promise<{ name: string; data: Buffer }> {
  const begin = browser.waitFor('Browser.downloadWillBegin', () => true, `a download after clicking ${text}`);
  const done = begin.then((b) =>
    browser.waitFor('Browser.downloadProgress', (p) => p.guid === b.guid && p.state !== 'inProgress', `the download of ${text} to finish`),
  );
  await tab.click(text);
  const b = await begin;
  const p = await done;
  expect(p.state, `download of ${text}`).toBe('completed');
  const path = typeof p.filePath === 'string' && p.filePath ? p.filePath : join(downloads, b.suggestedFilename as string);
  return { name: b.suggestedFilename as string, data: await readFile(path) };
}

async function openTab(): Promise<Tab> {
  const tab = await Tab.open(browser);
  // Argo UI's convention: the token in the `authorization` cookie as "Bearer <token>".
  const { success } = await tab.send('Network.setCookie', { name: 'authorization', value: `Bearer ${READER_TOKEN}`, url: stack.gateway.url, path: '/' });
  expect(success).not.toBe(false);
  return tab;
}

describe.skipIf(!CHROMIUM)(`browser download through the listing pages (headless Chromium)${CHROMIUM ? '' : ` — skipped: ${NO_CHROMIUM}`}`, () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'download-browser-'));
    const clusterDir = join(work, 'cluster');
    await mkdir(join(clusterDir, 'workflows'), { recursive: true });
    await writeFile(
      join(clusterDir, 'tokens.yaml'),
      stringify({
        tokens: [
          { token: ADMIN_TOKEN, user: 'admin', groups: ['system:masters'], admin: true },
          { token: READER_TOKEN, user: 'alice', rules: [{ namespaces: [NAMESPACE], apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['get'] }] },
        ],
      }),
    );
    await writeFile(join(clusterDir, 'workflows', `${NAMESPACE}.${WORKFLOW}.yaml`), stringify(workflow()));
    stack = await startLocalStack({
      dataDir: join(work, 'data'),
      clusterDir,
      ports: { gateway: 0, oss: 0, cluster: 0 },
      credential: { ...LOCAL_DEFAULT_CREDENTIALS },
      region: LOCAL_DEFAULT_REGION,
      bucket: LOCAL_DEFAULT_BUCKET,
      adminToken: ADMIN_TOKEN,
    });
    oss = createOssClient({ bucket: LOCAL_DEFAULT_BUCKET, region: LOCAL_DEFAULT_REGION, endpoint: stack.env.OSS_ENDPOINT!, credentials: { ...LOCAL_DEFAULT_CREDENTIALS } });
    const pod = `${NAMESPACE}/${WORKFLOW}/${WORKFLOW}-main-3141592653`;
    // The directory artifact: many objects under results/, one of them in sub/.
    await putObject(oss, `${pod}/results/summary.txt`, 'ok\n');
    await putObject(oss, `${pod}/results/sub/${dirFile.name}`, dirFile.data);
    await putObject(oss, `${pod}/results/sub/other.txt`, 'other\n');
    // The .tgz artifact, written as Argo writes it: /tmp/bundle → bundle/, bundle/report.csv, …
    const src = join(work, 'bundle');
    await mkdir(join(src, 'logs'), { recursive: true });
    await writeFile(join(src, memberFile.name), memberFile.data);
    await writeFile(join(src, 'logs', 'run.log'), 'started\n');
    await putObject(oss, `${pod}/bundle.tgz`, await collect(createTgzStream(src)));

    browser = await Browser.launch(CHROMIUM!);
    downloads = join(work, 'downloads');
    await mkdir(downloads);
    await browser.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads, eventsEnabled: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    oss?.close();
    await stack?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('downloads a file of a directory artifact by clicking through the listing', async () => {
    const tab = await openTab();
    const base = `${stack.gateway.url}/artifact-files/${NAMESPACE}/workflows/${WORKFLOW}/${NODE_ID}/outputs/results`;
    // Without the trailing slash the route redirects to the listing.
    expect(await tab.navigate(base)).toBe(200);
    expect(await tab.evaluate<string>('location.pathname')).toBe(new URL(`${base}/`).pathname);
    const top = await tab.links();
    expect(top).toEqual(expect.arrayContaining(['sub/', 'summary.txt']));
    expect(await tab.loads(() => tab.click('sub/'), 'the sub/ listing')).toBe(200);
    expect(await tab.links()).toEqual(expect.arrayContaining([dirFile.name, 'other.txt']));

    const got = await clickAndDownload(tab, dirFile.name);
    expect(got.name).toBe(dirFile.name); // the browser understood Content-Disposition's filename*
    expect(got.data.length).toBe(dirFile.data.length);
    expect(sha256(got.data)).toBe(sha256(dirFile.data));
  }, 60_000);

  it('downloads a member of a .tgz artifact from the archive listing', async () => {
    const tab = await openTab();
    const base = `${stack.gateway.url}/artifact-files/${NAMESPACE}/workflows/${WORKFLOW}/${NODE_ID}/outputs/bundle/`;
    expect(await tab.navigate(base)).toBe(200);
    expect(await tab.links()).toContain('bundle/');
    expect(await tab.loads(() => tab.click('bundle/'), 'the bundle/ listing')).toBe(200);
    expect(await tab.links()).toEqual(expect.arrayContaining([memberFile.name, 'logs/']));

    const got = await clickAndDownload(tab, memberFile.name);
    expect(got.name).toBe(memberFile.name);
    expect(sha256(got.data)).toBe(sha256(memberFile.data));
  }, 60_000);

  it('shows no listing without the cookie', async () => {
    const tab = await Tab.open(browser, true);
    const url = `${stack.gateway.url}/artifact-files/${NAMESPACE}/workflows/${WORKFLOW}/${NODE_ID}/outputs/results/`;
    expect(await tab.navigate(url)).toBe(401);
    expect(await tab.links()).not.toContain('summary.txt');
  }, 60_000);
});
