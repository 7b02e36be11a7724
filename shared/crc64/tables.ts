// CRC-64/XZ constants and slicing tables, shared by the JS and WebAssembly kernels.

/** Reflected CRC-64/XZ ("ECMA-182") polynomial. */
export const POLY = 0xc96c5795d7870f42n;
export const MASK64 = (1n << 64n) - 1n;
export const POLY_HI = Number(POLY >> 32n);
export const POLY_LO = Number(POLY & 0xffffffffn);

// Scratch for moving a u64 between BigInt and two uint32 halves without BigInt arithmetic
// (each BigInt op allocates; this is ~10x cheaper and matters for small inputs).
const scratch64 = new BigUint64Array(1);
const scratch32 = new Uint32Array(scratch64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO_WORD = LITTLE_ENDIAN ? 0 : 1;
const HI_WORD = 1 - LO_WORD;

/** Splits a u64 into halves; read them with splitLo()/splitHi() right after. */
export function split64(value: bigint): void {
  scratch64[0] = value;
}
export const splitLo = (): number => scratch32[LO_WORD];
export const splitHi = (): number => scratch32[HI_WORD];

/** Joins uint32 (or int32) halves into a u64 BigInt. */
export function join64(hi: number, lo: number): bigint {
  scratch32[HI_WORD] = hi;
  scratch32[LO_WORD] = lo;
  return scratch64[0];
}

/** Number of slicing tables: 16 tables x 256 entries x 8 bytes = 32 KiB (fits L1 on current x86). */
export const SLICES = 16;

/**
 * Slicing tables as 64-bit entries stored as interleaved [lo, hi] int32 pairs: entry n of table t
 * is at index 2 * (t * 256 + n), which is the i64 array layout the WebAssembly kernel reads.
 * Table t advances a byte by t further zero bytes (table 0 is the classic byte table).
 */
export const TABLES: Int32Array = buildTables();

function buildTables(): Int32Array {
  const t = new Int32Array(2 * 256 * SLICES);
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const carry = lo & 1;
      lo = (lo >>> 1) | (hi << 31);
      hi >>>= 1;
      if (carry) {
        lo ^= POLY_LO;
        hi ^= POLY_HI;
      }
    }
    t[2 * n] = lo;
    t[2 * n + 1] = hi;
  }
  for (let i = 256; i < 256 * SLICES; i++) {
    const lo = t[2 * (i - 256)];
    const hi = t[2 * (i - 256) + 1];
    const x = 2 * (lo & 0xff);
    t[2 * i] = ((lo >>> 8) | (hi << 24)) ^ t[x];
    t[2 * i + 1] = (hi >>> 8) ^ t[x + 1];
  }
  return t;
}
