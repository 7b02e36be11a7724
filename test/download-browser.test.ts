// A real browser uses the artifact browser of the download routes on the local stack: headless
// Chromium (Debian's `chromium`; .ci/run installs it) driven over the DevTools protocol on
// --remote-debugging-pipe (fds 3/4, NUL-separated JSON; no dependency), authenticated by Argo's
// `authorization` cookie. It opens a directory listing, goes down a folder and back by the
// breadcrumbs, previews a CSV (a table) and a PNG (the image loads under the strict CSP), downloads a
// file and the whole folder as .zip (checked byte for byte), and a member of a .tgz artifact, and
// signs in on the local sign-in page from the 401 page a browser without a token gets. This
// catches what HTTP-level tests cannot: a CSP sandbox that blocks downloads or images, a
// Content-Disposition the browser does not understand, links that do not resolve. Screenshots of the
// listing (light and dark) go to the test's temp folder (paths printed); with UPDATE_SCREENSHOTS=1
// also to docs/img/. Without a Chromium the check is skipped and says so (ARGO_OSS_REQUIRE_BROWSER=1
// turns that into a failure).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createTgzStream } from '../cli/upload/tgz';
import { LOCAL_DEFAULT_BUCKET, LOCAL_DEFAULT_CREDENTIALS, LOCAL_DEFAULT_REGION } from '../local/defaults';
import { startLocalStack, type LocalStack } from '../local/stack';
import { createOssClient, putObject, type OssClient } from '../shared/oss';
import { readZip } from './helpers/zip';
import { gradientPng } from '../local/example';

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
        '--disable-background-networking',
        '--disable-component-update',
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
    const r = await this.send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`evaluate ${expression}: ${JSON.stringify(r.exceptionDetails)}`);
    return r.result.value as T;
  }

  /** The link texts of the page, in order. */
  links(): Promise<string[]> {
    return this.evaluate<string[]>('[...document.querySelectorAll("a")].map((a) => a.textContent)');
  }

  /** A real mouse click (pressed + released) in the middle of the link whose text is `text`. */
  click(text: string): Promise<void> {
    return this.clickOn(`[...document.querySelectorAll("a")].find((a) => a.textContent === ${JSON.stringify(text)})`, `link ${JSON.stringify(text)}`);
  }

  /** A real mouse click on the first element matching the CSS `selector`. */
  clickSelector(selector: string): Promise<void> {
    return this.clickOn(`document.querySelector(${JSON.stringify(selector)})`, selector);
  }

  private async clickOn(find: string, what: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number; w: number; h: number } | null>(
      `(() => { const a = ${find};
        if (!a) return null; a.scrollIntoView(); const r = a.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; })()`,
    );
    if (!box) throw new Error(`no ${what} on the page; links: ${JSON.stringify(await this.links())}`);
    const at = { x: box.x + box.w / 2, y: box.y + box.h / 2, button: 'left', clickCount: 1 };
    await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: at.x, y: at.y });
    await this.send('Input.dispatchMouseEvent', { type: 'mousePressed', ...at });
    await this.send('Input.dispatchMouseEvent', { type: 'mouseReleased', ...at });
  }

  /** A PNG of the viewport in the given color scheme. */
  async screenshot(scheme: 'light' | 'dark'): Promise<Buffer> {
    await this.send('Emulation.setDeviceMetricsOverride', { width: 1100, height: 720, deviceScaleFactor: 1, mobile: false });
    await this.send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: scheme }] });
    const r = await this.send('Page.captureScreenshot', { format: 'png' });
    await this.send('Emulation.setEmulatedMedia', { features: [] });
    return Buffer.from(r.data as string, 'base64');
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
const POD = `${NAMESPACE}/${WORKFLOW}/${WORKFLOW}-main-3141592653`;
const dirFile = { name: 'résumé data.bin', data: randomBytes(3 * 1024 * 1024 + 17) };
const memberFile = { name: 'report.csv', data: Buffer.from(Array.from({ length: 20_000 }, (_, i) => `${i},${i * i}`).join('\n')) };
/** The directory artifact `results`: path below it → bytes. */
const results = new Map<string, Buffer>([
  ['summary.txt', Buffer.from('training finished: 12 epochs, loss 0.031\n')],
  ['metrics.csv', Buffer.from(['epoch,loss,accuracy', ...Array.from({ length: 12 }, (_, i) => `${i + 1},${(1 / (i + 2)).toFixed(3)},${(0.6 + i * 0.03).toFixed(2)}`)].join('\n'))],
  ['loss-curve.png', gradientPng(240, 120)],
  ['README.md', Buffer.from('# Results\n\nModel **v7**, trained on `train.csv`.\n\n- metrics.csv: per epoch\n- loss-curve.png\n')],
  ['main.log', Buffer.from('starting\nWARNING: slow disk\nepoch 12 done\n')],
  ['config.json', Buffer.from(JSON.stringify({ epochs: 12, lr: 0.001, layers: [64, 32] }))],
  [`checkpoints/${dirFile.name}`, dirFile.data],
  ['checkpoints/other.txt', Buffer.from('other\n')],
]);

function workflow(): object {
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
              { name: 'results', path: '/tmp/results', archive: { none: {} }, oss: { key: `${POD}/results` } },
              { name: 'bundle', path: '/tmp/bundle', oss: { key: `${POD}/bundle.tgz` } },
            ],
          },
        },
      },
    },
  };
}

/** Runs `act` (a click) and waits for the download it starts; returns the saved bytes and the browser's file name. */
async function download(act: () => Promise<void>, what: string): Promise<{ name: string; data: Buffer }> {
  const begin = browser.waitFor('Browser.downloadWillBegin', () => true, `a download after ${what}`);
  const done = begin.then((b) =>
    browser.waitFor('Browser.downloadProgress', (p) => p.guid === b.guid && p.state !== 'inProgress', `the download of ${what} to finish`),
  );
  await act();
  const b = await begin;
  const p = await done;
  expect(p.state, `download of ${what}`).toBe('completed');
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

const artifactUrl = (artifact: string) => `${stack.gateway.url}/artifact-files/${NAMESPACE}/workflows/${WORKFLOW}/${NODE_ID}/outputs/${artifact}`;

describe.skipIf(!CHROMIUM)(`the artifact browser in headless Chromium${CHROMIUM ? '' : ` — skipped: ${NO_CHROMIUM}`}`, () => {
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
    for (const [path, data] of results) await putObject(oss, `${POD}/results/${path}`, data);
    // The .tgz artifact, written as Argo writes it: /tmp/bundle → bundle/, bundle/report.csv, …
    const src = join(work, 'bundle');
    await mkdir(join(src, 'logs'), { recursive: true });
    await writeFile(join(src, memberFile.name), memberFile.data);
    await writeFile(join(src, 'logs', 'run.log'), 'started\n');
    await putObject(oss, `${POD}/bundle.tgz`, await collect(createTgzStream(src)));

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

  it('lists a directory artifact, goes down a folder and back by the breadcrumbs (never to a 404)', async () => {
    const tab = await openTab();
    // Without the trailing slash the route redirects to the listing.
    expect(await tab.navigate(artifactUrl('results'))).toBe(200);
    expect(await tab.evaluate<string>('location.pathname')).toBe(new URL(`${artifactUrl('results')}/`).pathname);
    expect(await tab.links()).toEqual(expect.arrayContaining(['checkpoints/', 'metrics.csv', 'loss-curve.png', 'README.md', 'Download folder (.zip)']));
    expect(await tab.evaluate<string[]>('[...document.querySelectorAll("table.files th")].map((t) => t.textContent)')).toEqual(['Name ▲', 'Size', 'Last modified', 'Type', 'Download']);

    // Screenshots of the real page, light and dark.
    for (const scheme of ['light', 'dark'] as const) {
      const shot = await tab.screenshot(scheme);
      expect(shot.subarray(1, 4).toString()).toBe('PNG');
      const file = join(work, `listing-${scheme}.png`);
      await writeFile(file, shot);
      console.log(`listing screenshot (${scheme}): ${file}`);
      if (process.env.UPDATE_SCREENSHOTS === '1') {
        const doc = new URL(`../docs/img/listing-${scheme}.png`, import.meta.url).pathname;
        await mkdir(join(doc, '..'), { recursive: true });
        await copyFile(file, doc);
        console.log(`  copied to ${doc}`);
      }
    }

    expect(await tab.loads(() => tab.click('checkpoints/'), 'the checkpoints/ listing')).toBe(200);
    expect(await tab.links()).toEqual(expect.arrayContaining([dirFile.name, 'other.txt', 'results']));
    // Every breadcrumb link opens a page.
    const crumbs = await tab.evaluate<string[]>('[...document.querySelectorAll("nav.crumbs a")].map((a) => a.href)');
    expect(crumbs).toEqual([`${artifactUrl('results')}/`]);
    expect(await tab.loads(() => tab.click('results'), 'the results crumb')).toBe(200);
    expect(await tab.evaluate<string>('location.pathname')).toBe(new URL(`${artifactUrl('results')}/`).pathname);
    // Sorting by size, largest first (folders first in either order).
    expect(await tab.loads(() => tab.click('Size'), 'sort by size')).toBe(200);
    expect(await tab.loads(() => tab.click('Size ▲'), 'sort by size, descending')).toBe(200);
    const names = await tab.evaluate<string[]>('[...document.querySelectorAll("td.name a")].map((a) => a.textContent)');
    expect(names[0]).toBe('checkpoints/');
    expect(names[1]).toBe('loss-curve.png');
  }, 90_000);

  it('previews a CSV as a table and a PNG as an image', async () => {
    const tab = await openTab();
    expect(await tab.navigate(`${artifactUrl('results')}/`)).toBe(200);
    expect(await tab.loads(() => tab.click('metrics.csv'), 'the metrics.csv page')).toBe(200);
    expect(await tab.evaluate<string[]>('[...document.querySelectorAll("table.csv th")].map((t) => t.textContent)')).toEqual(['epoch', 'loss', 'accuracy']);
    expect(await tab.evaluate<number>('document.querySelectorAll("table.csv tbody tr").length')).toBe(12);
    expect(await tab.evaluate<string>('document.querySelector("section.preview h2 span").textContent')).toBe('12 rows');

    expect(await tab.loads(() => tab.click('results'), 'back to results')).toBe(200);
    expect(await tab.loads(() => tab.click('loss-curve.png'), 'the loss-curve.png page')).toBe(200);
    // The image loads under the strict CSP (img-src 'self'), typed image/png with nosniff.
    const size = await tab.evaluate<[number, number]>(
      `new Promise((resolve) => { const i = document.querySelector("img.pv-img"); const done = () => resolve([i.naturalWidth, i.naturalHeight]); i.complete ? done() : (i.onload = done, i.onerror = done); })`,
    );
    expect(size).toEqual([240, 120]);
  }, 60_000);

  it('downloads one file and the whole folder as .zip', async () => {
    const tab = await openTab();
    expect(await tab.navigate(`${artifactUrl('results')}/checkpoints/`)).toBe(200);
    const file = await download(() => tab.clickSelector(`a[title="Download ${dirFile.name}"]`), dirFile.name);
    expect(file.name).toBe(dirFile.name); // the browser understood Content-Disposition's filename*
    expect(sha256(file.data)).toBe(sha256(dirFile.data));

    expect(await tab.navigate(`${artifactUrl('results')}/`)).toBe(200);
    const zip = await download(() => tab.click('Download folder (.zip)'), 'the results folder');
    expect(zip.name).toBe('results.zip');
    const entries = readZip(zip.data);
    expect(entries.map((e) => e.name).sort()).toEqual([...results.keys()].map((p) => `results/${p}`).sort());
    for (const e of entries) expect(sha256(e.data), e.name).toBe(sha256(results.get(e.name.slice('results/'.length))!));
  }, 60_000);

  it('downloads a member of a .tgz artifact from the archive listing', async () => {
    const tab = await openTab();
    expect(await tab.navigate(`${artifactUrl('bundle')}/`)).toBe(200);
    expect(await tab.links()).toEqual(expect.arrayContaining(['bundle/', 'Download archive (.tgz)']));
    expect(await tab.loads(() => tab.click('bundle/'), 'the bundle/ listing')).toBe(200);
    expect(await tab.links()).toEqual(expect.arrayContaining([memberFile.name, 'logs/']));
    expect(await tab.loads(() => tab.click(memberFile.name), 'the report.csv page')).toBe(200);
    const got = await download(() => tab.click('Download'), memberFile.name);
    expect(got.name).toBe(memberFile.name);
    expect(sha256(got.data)).toBe(sha256(memberFile.data));
  }, 60_000);

  it('without the cookie: a 401 page that leads to the local sign-in, which sets the cookie and comes back', async () => {
    const tab = await Tab.open(browser, true);
    expect(await tab.navigate(`${artifactUrl('results')}/`)).toBe(401);
    expect(await tab.links()).not.toContain('summary.txt');
    expect(await tab.evaluate<string>('document.querySelector("h1").textContent')).toBe('Sign in to see this artifact');
    expect(await tab.loads(() => tab.click('Sign in with a token'), 'the sign-in page')).toBe(200);
    await tab.evaluate(`document.querySelector("#token").value = ${JSON.stringify('not-a-known-token')}`);
    expect(await tab.loads(() => tab.clickSelector('button[type=submit]'), 'a refused sign-in')).toBe(401);
    expect(await tab.evaluate<string>('document.querySelector("[role=alert]").textContent')).toContain('does not know this token');
    await tab.evaluate(`document.querySelector("#token").value = ${JSON.stringify(READER_TOKEN)}`);
    expect(await tab.loads(() => tab.clickSelector('button[type=submit]'), 'the sign-in and the way back')).toBe(200);
    expect(await tab.evaluate<string>('location.pathname')).toBe(new URL(`${artifactUrl('results')}/`).pathname);
    expect(await tab.links()).toContain('summary.txt');
  }, 60_000);
});
