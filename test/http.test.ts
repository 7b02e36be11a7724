// shared/http: router, JSON errors and bodies, and both adapters (Node http over a real socket, FC event).
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emptyResponse,
  fcEventToRequest,
  HttpError,
  jsonResponse,
  readJsonObject,
  Router,
  toFcHandler,
  toNodeListener,
  type HttpRequest,
} from '../shared/http';

function request(method: string, path: string, body?: string, headers: Record<string, string> = {}): HttpRequest {
  const [p, q] = path.split('?');
  return { method, path: p, query: new URLSearchParams(q ?? ''), headers, body: async () => (body === undefined ? undefined : Buffer.from(body)) };
}

const json = (r: { body: Buffer }) => JSON.parse(r.body.toString('utf8'));

function testRouter(onError?: (err: unknown) => void): Router {
  return new Router({
    mapError: (err) => (err instanceof RangeError ? new HttpError(503, 'Upstream', err.message) : undefined),
    ...(onError ? { onError } : {}),
  })
    .on('GET', '/items/:id', (req, p) => jsonResponse(200, { id: p.id, q: req.query.get('q') }))
    .on('POST', '/items/:id/echo', async (req, p) => jsonResponse(201, { id: p.id, body: await readJsonObject(req) }))
    // Refuses without reading the body, as a route does for an unauthenticated caller.
    .on('POST', '/items/:id/locked', () => {
      throw new HttpError(401, 'Unauthorized', 'no token');
    })
    .on('DELETE', '/items/:id', () => emptyResponse(204))
    .on('GET', '/boom', () => {
      throw new Error('secret detail');
    })
    .on('GET', '/upstream', () => {
      throw new RangeError('OSS down');
    })
    .on('GET', '/field', () => {
      throw new HttpError(400, 'InvalidArgument', 'size: bad', { field: 'size', details: { max: 1 } });
    });
}

describe('Router', () => {
  const errors: unknown[] = [];
  const router = testRouter((e) => errors.push(e));

  it('matches path parameters (percent-decoded per segment) and the query', async () => {
    const r = await router.handle(request('GET', '/items/a%2Fb?q=1'));
    expect(r.status).toBe(200);
    expect(json(r)).toEqual({ id: 'a/b', q: '1' });
  });

  it('answers 404 and 405 (with Allow) as JSON errors', async () => {
    const nf = await router.handle(request('GET', '/nope'));
    expect(nf.status).toBe(404);
    expect(json(nf).error.code).toBe('NotFound');
    const na = await router.handle(request('PUT', '/items/1'));
    expect(na.status).toBe(405);
    expect(na.headers.allow).toBe('GET, DELETE');
    expect(json(na).error.code).toBe('MethodNotAllowed');
    expect(na.headers['content-type']).toMatch(/^application\/json/);
  });

  it('turns HttpError into { error: { code, message, field, details } }', async () => {
    const r = await router.handle(request('GET', '/field'));
    expect(r.status).toBe(400);
    expect(json(r)).toEqual({ error: { code: 'InvalidArgument', message: 'size: bad', field: 'size', details: { max: 1 } } });
  });

  it('maps known errors and hides unexpected ones behind a 500', async () => {
    expect((await router.handle(request('GET', '/upstream'))).status).toBe(503);
    const r = await router.handle(request('GET', '/boom'));
    expect(r.status).toBe(500);
    expect(json(r).error).toEqual({ code: 'InternalError', message: 'internal error' });
    expect(String(errors[0])).toContain('secret detail');
  });

  it('rejects malformed percent-encoding with 400', async () => {
    expect((await router.handle(request('GET', '/items/%E0%A4%A'))).status).toBe(400);
  });

  it('answers 204 with an empty body', async () => {
    const r = await router.handle(request('DELETE', '/items/1'));
    expect(r.status).toBe(204);
    expect(r.body.length).toBe(0);
  });
});

describe('readJsonObject', () => {
  const read = (body: string | undefined, type = 'application/json', max?: number) =>
    readJsonObject(request('POST', '/', body, type ? { 'content-type': type } : {}), max ? { maxBytes: max } : {});
  const code = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      return [(e as HttpError).status, (e as HttpError).code];
    }
    return 'ok';
  };

  it('parses objects; accepts no type and +json types', async () => {
    expect(await read('{"a":1}')).toEqual({ a: 1 });
    expect(await read('{"a":1}', '')).toEqual({ a: 1 });
    expect(await read('{"a":1}', 'application/merge-patch+json; charset=utf-8')).toEqual({ a: 1 });
  });

  it('fails clearly: 400 missing/invalid/non-object, 415 other type, 413 too big', async () => {
    expect(await code(() => read(undefined))).toEqual([400, 'InvalidArgument']);
    expect(await code(() => read('{oops'))).toEqual([400, 'InvalidJson']);
    expect(await code(() => read('[1]'))).toEqual([400, 'InvalidArgument']);
    expect(await code(() => read('a=1', 'application/x-www-form-urlencoded'))).toEqual([415, 'UnsupportedMediaType']);
    expect(await code(() => read(`{"a":"${'x'.repeat(100)}"}`, 'application/json', 50))).toEqual([413, 'PayloadTooLarge']);
  });

  it('reads the body only when asked, and once', async () => {
    let reads = 0;
    const req = { ...request('POST', '/', '{"a":1}', { 'content-type': 'application/json' }) };
    const inner = req.body;
    req.body = () => {
      reads++;
      return inner();
    };
    expect(reads).toBe(0);
    expect(await readJsonObject(req)).toEqual({ a: 1 });
    expect(reads).toBe(1);
  });
});

describe('Node adapter over real HTTP', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer(toNodeListener(testRouter().handle, { maxBodyBytes: 1024 }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('round-trips a JSON request', async () => {
    const res = await fetch(`${url}/items/7/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":[1,2]}' });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ id: '7', body: { x: [1, 2] } });
  });

  it('refuses a body over the cap with 413 JSON, declared or chunked', async () => {
    const big = JSON.stringify({ x: 'y'.repeat(5000) });
    const res = await fetch(`${url}/items/7/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PayloadTooLarge');
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const chunked = await fetch(`${url}/items/7/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('answers a refusal before the body arrives, without reading it, and closes the connection', async () => {
    const { port } = new URL(url);
    const answer = await new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
      // 32 MiB declared, 10 bytes sent: a server that read bodies before authenticating would wait here forever.
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/items/7/locked', headers: { 'content-type': 'application/json', 'content-length': String(32 * 1024 * 1024) } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      });
      req.on('error', reject);
      req.write('{"x":"yyyy');
    });
    expect(answer.status).toBe(401);
    expect(answer.connection).toBe('close');
    expect(JSON.parse(answer.body).error.code).toBe('Unauthorized');
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await fetch(`${url}/items/1`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('FC 3.0 HTTP trigger adapter', () => {
  const fc = toFcHandler(testRouter().handle);
  const event = (o: Record<string, unknown>) =>
    Buffer.from(
      JSON.stringify({
        version: 'v1',
        rawPath: '/items/7/echo',
        headers: { 'Content-Type': 'application/json' },
        queryParameters: {},
        body: '{"x":1}',
        isBase64Encoded: false,
        requestContext: { http: { method: 'POST', path: '/items/7/echo' }, requestId: 'r1' },
        ...o,
      }),
    );

  it('maps the event to a request and the response to { statusCode, headers, body, isBase64Encoded }', async () => {
    const r = await fc(event({}));
    expect(r.statusCode).toBe(201);
    expect(r.isBase64Encoded).toBe(false);
    expect(JSON.parse(r.body)).toEqual({ id: '7', body: { x: 1 } });
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(r.headers).map((h) => h.toLowerCase())).not.toContain('content-length');
  });

  it('decodes base64 bodies, lower-cases headers, keeps the query and the raw path encoding', async () => {
    const req = fcEventToRequest(
      event({ body: Buffer.from('{"y":2}').toString('base64'), isBase64Encoded: true, rawPath: '/items/a%2Fb', queryParameters: { q: 'v1,v2' } }),
    );
    expect((await req.body())?.toString()).toBe('{"y":2}');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.query.get('q')).toBe('v1,v2');
    const r = await fc(event({ rawPath: '/items/a%2Fb', queryParameters: { q: 'z' }, requestContext: { http: { method: 'GET' } }, body: '' }));
    expect(JSON.parse(r.body)).toEqual({ id: 'a/b', q: 'z' });
  });

  it('answers 400 for a payload that is not an HTTP event and 413 for a huge body', async () => {
    const bad = await fc(Buffer.from('{"action":"reconcile"}'));
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('InvalidEvent');
    expect((await fc(Buffer.from('not json'))).statusCode).toBe(400);
    const huge = await fc(event({ body: 'x'.repeat(1024 * 1024 + 1) }));
    expect(huge.statusCode).toBe(413);
    // A handler that refuses first never decodes the body, however large.
    const refused = await fc(event({ rawPath: '/items/7/locked', requestContext: { http: { method: 'POST' } }, body: Buffer.alloc(3 * 1024 * 1024).toString('base64'), isBase64Encoded: true }));
    expect(refused.statusCode).toBe(401);
  });
});
