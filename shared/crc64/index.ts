// CRC-64/XZ ("ECMA-182" in OSS docs): reflected poly 0xC96C5795D7870F42, init and xorout all ones.
// OSS returns it as the decimal header x-oss-hash-crc64ecma.
// Baseline byte-at-a-time implementation over two 32-bit halves (BigInt only at the edges).

const POLY = 0xc96c5795d7870f42n;
const MASK64 = (1n << 64n) - 1n;

const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = BigInt(n);
  for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY : c >> 1n;
  TABLE_LO[n] = Number(c & 0xffffffffn);
  TABLE_HI[n] = Number(c >> 32n);
}

function updateRaw(lo: number, hi: number, data: Uint8Array): [number, number] {
  for (let i = 0; i < data.length; i++) {
    const idx = (lo ^ data[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx];
    hi = (hi >>> 8) ^ TABLE_HI[idx];
  }
  return [lo >>> 0, hi >>> 0];
}

/** CRC-64 of `data`, continuing from a previous CRC (0n for a fresh start). */
export function crc64(data: Uint8Array, prev: bigint = 0n): bigint {
  const inv = ~prev & MASK64;
  const [lo, hi] = updateRaw(Number(inv & 0xffffffffn), Number(inv >> 32n), data);
  return ~((BigInt(hi) << 32n) | BigInt(lo)) & MASK64;
}

/** Incremental hasher: update over chunks, then digest. */
export class Crc64 {
  private value = 0n;
  private length = 0;

  update(data: Uint8Array): this {
    this.value = crc64(data, this.value);
    this.length += data.length;
    return this;
  }

  /** Bytes hashed so far. */
  get bytes(): number {
    return this.length;
  }

  digest(): bigint {
    return this.value;
  }

  /** Decimal string, the form OSS uses in x-oss-hash-crc64ecma. */
  toString(): string {
    return this.value.toString(10);
  }
}

function gf2Times(mat: bigint[], vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i];
  return sum;
}

function gf2Square(square: bigint[], mat: bigint[]): void {
  for (let n = 0; n < 64; n++) square[n] = gf2Times(mat, mat[n]);
}

/** crc(A‖B) from crc(A), crc(B) and |B|; lengths are BigInt-safe up to 2^64. */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: bigint | number): bigint {
  let len = BigInt(lengthB);
  if (len < 0n) throw new RangeError('lengthB must be >= 0');
  if (len === 0n) return crcA;
  const even: bigint[] = new Array(64).fill(0n);
  const odd: bigint[] = new Array(64).fill(0n);
  odd[0] = POLY;
  let row = 1n;
  for (let n = 1; n < 64; n++, row <<= 1n) odd[n] = row;
  gf2Square(even, odd);
  gf2Square(odd, even);
  let c = crcA;
  for (;;) {
    gf2Square(even, odd);
    if (len & 1n) c = gf2Times(even, c);
    len >>= 1n;
    if (len === 0n) break;
    gf2Square(odd, even);
    if (len & 1n) c = gf2Times(odd, c);
    len >>= 1n;
    if (len === 0n) break;
  }
  return c ^ crcB;
}

/** Parses the decimal x-oss-hash-crc64ecma form; throws on anything that is not a u64. */
export function parseCrc64(text: string): bigint {
  if (!/^\d{1,20}$/.test(text)) throw new RangeError(`not a decimal CRC-64: ${JSON.stringify(text)}`);
  const v = BigInt(text);
  if (v > MASK64) throw new RangeError(`CRC-64 out of range: ${text}`);
  return v;
}
