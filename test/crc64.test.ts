import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it, vi } from 'vitest';
import { Crc64, crc64, crc64Combine, createCrc64Stream, parseCrc64, WASM_MIN_BYTES } from '../shared/crc64';
import { crc64Js } from '../shared/crc64/js';
import { crc64Wasm, wasmAvailable } from '../shared/crc64/wasm';
import { LANE_BYTES, WINDOW_SIZE } from '../shared/crc64/wasm-module';

const POLY = 0xc96c5795d7870f42n;
const MASK64 = (1n << 64n) - 1n;
const GiB = 1n << 30n;
const CHECK = new TextEncoder().encode('123456789');
const CHECK_VALUE = 11051210869376104954n;

/** Deterministic PRNG (xorshift32) so failures reproduce. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

function randomBytes(length: number, seed: number): Uint8Array {
  const next = rng(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = next(256);
  return out;
}

function randomCrc(next: (n: number) => number): bigint {
  return (BigInt(next(0x10000)) << 48n) | (BigInt(next(0x1000000)) << 24n) | BigInt(next(0x1000000));
}

/** Bit-at-a-time reference straight from the CRC definition. */
function referenceCrc(data: Uint8Array): bigint {
  let c = MASK64;
  for (const byte of data) {
    c ^= BigInt(byte);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY : c >> 1n;
  }
  return c ^ MASK64;
}

/** Slow independent combine: zlib's original GF(2) 64x64 matrix squaring, in BigInt. */
function referenceCombine(crcA: bigint, crcB: bigint, lengthB: bigint): bigint {
  const times = (mat: bigint[], vec: bigint): bigint => {
    let sum = 0n;
    for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i];
    return sum;
  };
  const square = (mat: bigint[]): bigint[] => mat.map((row) => times(mat, row));
  if (lengthB === 0n) return crcA ^ crcB;
  let op: bigint[] = [POLY]; // operator for one zero bit
  for (let n = 1; n < 64; n++) op.push(1n << BigInt(n - 1));
  op = square(square(square(op))); // one zero byte
  let c = crcA;
  for (let len = lengthB; len > 0n; len >>= 1n) {
    if (len & 1n) c = times(op, c);
    op = square(op);
  }
  return c ^ crcB;
}

/** CRC of `n` zero bytes, via combine: the raw register is all ones shifted by n zero bytes. */
const zerosCrc = (n: bigint | number): bigint => crc64Combine(MASK64, 0n, n) ^ MASK64;

describe('crc64', () => {
  it('matches the CRC-64/XZ check value on every path', () => {
    expect(crc64(CHECK)).toBe(CHECK_VALUE);
    expect(crc64Js(CHECK)).toBe(CHECK_VALUE);
    expect(crc64Wasm(CHECK)).toBe(CHECK_VALUE);
    expect(new Crc64().update(CHECK).toString()).toBe('11051210869376104954');
    expect(referenceCrc(CHECK)).toBe(CHECK_VALUE);
  });

  it('handles empty input', () => {
    const empty = new Uint8Array(0);
    expect(crc64(empty)).toBe(0n);
    expect(crc64(empty, CHECK_VALUE)).toBe(CHECK_VALUE);
    expect(crc64Js(empty, 123n)).toBe(123n);
    expect(crc64Wasm(empty, 123n)).toBe(123n);
    const h = new Crc64();
    expect(h.digest()).toBe(0n);
    expect(h.bytes).toBe(0);
    expect(h.update(empty).toString()).toBe('0');
  });

  it('uses the WebAssembly kernel here', () => {
    expect(wasmAvailable()).toBe(true);
  });

  it('JS, WebAssembly and the bitwise reference agree on many sizes and offsets', () => {
    const data = randomBytes(4096 + 64, 1);
    const sizes = [...Array(300).keys(), 511, 512, 513, 1023, 1024, 4095, 4096];
    for (const size of sizes) {
      const offset = size % 7; // unaligned views too
      const view = data.subarray(offset, offset + size);
      const expected = referenceCrc(view);
      expect(crc64Js(view)).toBe(expected);
      expect(crc64Wasm(view)).toBe(expected);
      expect(crc64(view)).toBe(expected);
    }
  });

  it('JS and WebAssembly agree across lane-block and window boundaries', () => {
    const data = randomBytes(3 * WINDOW_SIZE + 100, 2);
    const block = 4 * LANE_BYTES; // the kernel's four-lane loop handles whole blocks
    const sizes = [block - 1, block, block + 1, block + 15, block + 16, 2 * block + 17, 5 * block - 3];
    for (const size of [...sizes, WINDOW_SIZE - 1, WINDOW_SIZE, WINDOW_SIZE + 1, 2 * WINDOW_SIZE + 17, 3 * WINDOW_SIZE + 99]) {
      const view = data.subarray(1, 1 + size);
      const prev = 0x0123456789abcdefn;
      expect(crc64Wasm(view, prev)).toBe(crc64Js(view, prev));
    }
  });

  it('chunked updates equal one-shot for random splits', () => {
    const data = randomBytes(WINDOW_SIZE + 5000, 3);
    const whole = crc64(data);
    const next = rng(4);
    for (let trial = 0; trial < 40; trial++) {
      const h = new Crc64();
      // Mix of tiny, odd, threshold-straddling and window-straddling chunk sizes.
      const pick = [() => 1 + next(16), () => WASM_MIN_BYTES - 8 + next(16), () => 1 + next(4000), () => WINDOW_SIZE - 3 + next(7)];
      for (let at = 0; at < data.length; ) {
        const len = Math.min(data.length - at, pick[next(pick.length)]());
        h.update(data.subarray(at, at + len));
        at += len;
      }
      expect(h.digest()).toBe(whole);
      expect(h.bytes).toBe(data.length);
    }
    // Continuing from prev is the same as hashing the concatenation.
    expect(crc64(data.subarray(777), crc64(data.subarray(0, 777)))).toBe(whole);
  });

  it('rejects a prev that is not a 64-bit CRC', () => {
    expect(() => crc64(CHECK, -1n)).toThrow(RangeError);
    expect(() => crc64(CHECK, 1n << 64n)).toThrow(RangeError);
  });

  it('falls back to pure JS when WebAssembly is unavailable', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', undefined);
    try {
      const wasm = await import('../shared/crc64/wasm');
      const api = await import('../shared/crc64');
      expect(wasm.wasmAvailable()).toBe(false);
      const data = randomBytes(100_000, 5);
      expect(api.crc64(data)).toBe(crc64Js(data));
      expect(api.crc64(CHECK)).toBe(CHECK_VALUE);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});

describe('crc64Combine', () => {
  it('combine(crc(A), crc(B), |B|) = crc(A‖B) for random splits', () => {
    const data = randomBytes(20_000, 6);
    const whole = crc64(data);
    const next = rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const cut = trial < 3 ? [0, 1, data.length][trial] : next(data.length + 1);
      const a = data.subarray(0, cut);
      const b = data.subarray(cut);
      expect(crc64Combine(crc64(a), crc64(b), b.length)).toBe(whole);
      expect(crc64Combine(crc64(a), crc64(b), BigInt(b.length))).toBe(whole);
    }
  });

  it('combines many parts in order', () => {
    const data = randomBytes(50_000, 8);
    let acc = 0n;
    for (let at = 0, i = 0; at < data.length; i++) {
      const part = data.subarray(at, at + 1 + ((i * 7919) % 3001));
      acc = crc64Combine(acc, crc64(part), part.length);
      at += part.length;
    }
    expect(acc).toBe(crc64(data));
  });

  it('agrees with the slow matrix reference for huge lengths (no 32-bit truncation)', () => {
    const next = rng(9);
    const lengths = [
      1n, 255n, 4096n,
      (1n << 31n) - 1n, 1n << 31n, (1n << 31n) + 1n, // where `len >>= 1` on a number would break
      (1n << 32n) - 1n, 1n << 32n, (1n << 32n) + 7n,
      5n * GiB, 5n * GiB + 12345n,
      10_000n * 5n * GiB, // 48.8 TB: the OSS object size limit
      (1n << 53n) + 1n, MASK64, 1n << 70n,
    ];
    for (const len of lengths) {
      const a = randomCrc(next);
      const b = randomCrc(next);
      expect(crc64Combine(a, b, len)).toBe(referenceCombine(a, b, len));
      if (len <= BigInt(Number.MAX_SAFE_INTEGER)) expect(crc64Combine(a, b, Number(len))).toBe(crc64Combine(a, b, len));
    }
  });

  it('is associative for multi-GiB parts', () => {
    const next = rng(10);
    for (let trial = 0; trial < 20; trial++) {
      const [a, b, c] = [randomCrc(next), randomCrc(next), randomCrc(next)];
      const lb = 5n * GiB + BigInt(next(1 << 30)) * 37n;
      const lc = 5n * GiB + BigInt(next(1 << 30)) * 1013n;
      const left = crc64Combine(crc64Combine(a, b, lb), c, lc);
      const right = crc64Combine(a, crc64Combine(b, c, lc), lb + lc);
      expect(left).toBe(right);
    }
  });

  it('crc of zeros: combine matches direct hashing, and splits consistently at large sizes', () => {
    const zeros = new Uint8Array(1 << 20);
    expect(zerosCrc(zeros.length)).toBe(crc64(zeros));
    expect(zerosCrc(12345)).toBe(crc64(zeros.subarray(0, 12345)));
    expect(zerosCrc(0)).toBe(0n);
    for (const [x, y] of [[5n * GiB, 7n * GiB + 3n], [(1n << 31n) + 1n, (1n << 33n) - 1n], [1n, 10_000n * 5n * GiB]]) {
      expect(zerosCrc(x + y)).toBe(crc64Combine(zerosCrc(x), zerosCrc(y), y));
    }
  });

  it('crc of 2^31 + 3 zero bytes: hashed directly = combine = matrix reference', () => {
    const length = 2 ** 31 + 3;
    const block = new Uint8Array(16 << 20);
    const h = new Crc64();
    while (h.bytes + block.length <= length) h.update(block);
    h.update(block.subarray(0, length - h.bytes));
    expect(h.bytes).toBe(length);
    expect(zerosCrc(length)).toBe(h.digest());
    expect(referenceCombine(MASK64, 0n, BigInt(length)) ^ MASK64).toBe(h.digest());
  });

  it('validates its arguments', () => {
    expect(() => crc64Combine(1n, 2n, -1)).toThrow(RangeError);
    expect(() => crc64Combine(1n, 2n, -1n)).toThrow(RangeError);
    expect(() => crc64Combine(1n, 2n, 1.5)).toThrow(RangeError);
    expect(() => crc64Combine(1n, 2n, 2 ** 53)).toThrow(RangeError); // unsafe number: pass a bigint
    expect(() => crc64Combine(-1n, 2n, 1)).toThrow(RangeError);
    expect(() => crc64Combine(1n, 1n << 64n, 1)).toThrow(RangeError);
    expect(crc64Combine(5n, 3n, 0)).toBe(6n); // zero-length B: crcA ^ crcB
  });
});

describe('parseCrc64', () => {
  it('parses decimal u64 values', () => {
    expect(parseCrc64('0')).toBe(0n);
    expect(parseCrc64('11051210869376104954')).toBe(CHECK_VALUE);
    expect(parseCrc64('18446744073709551615')).toBe(MASK64);
    expect(parseCrc64('007')).toBe(7n);
    expect(parseCrc64(new Crc64().update(CHECK).toString())).toBe(CHECK_VALUE);
  });

  it('rejects anything else', () => {
    for (const bad of ['', '-1', '+1', ' 1', '1 ', '1e3', '0x10', '1.0', '18446744073709551616', '123456789012345678901', 'abc']) {
      expect(() => parseCrc64(bad), bad).toThrow(RangeError);
    }
    expect(() => parseCrc64(undefined as unknown as string)).toThrow(RangeError);
  });
});

describe('createCrc64Stream', () => {
  it('passes bytes through unchanged while hashing them', async () => {
    const data = randomBytes(3 * WINDOW_SIZE + 123, 11);
    const next = rng(12);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < data.length; ) {
      const len = 1 + next(70_000);
      chunks.push(data.subarray(at, at + len));
      at += len;
    }
    const out: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk);
        cb();
      },
    });
    const crc = createCrc64Stream();
    await pipeline(Readable.from(chunks), crc, sink);
    expect(Buffer.concat(out).equals(Buffer.from(data))).toBe(true);
    expect(crc.bytes).toBe(data.length);
    expect(crc.digest()).toBe(crc64(data));
  });

  it('hashes a file copy through a real fs pipeline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crc64-'));
    try {
      const data = randomBytes(1_000_003, 13);
      await writeFile(join(dir, 'in'), data);
      const crc = createCrc64Stream();
      await pipeline(createReadStream(join(dir, 'in')), crc, createWriteStream(join(dir, 'out')));
      expect(crc.digest()).toBe(crc64(data));
      expect(crc.bytes).toBe(data.length);
      expect((await readFile(join(dir, 'out'))).equals(Buffer.from(data))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
