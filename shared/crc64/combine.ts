// crc64Combine by polynomial arithmetic (the method of zlib's crc32_combine, widened to 64 bits):
//   crc(A‖B) = crc(A) · x^(8·|B|) mod P  ⊕  crc(B)
// x^(8n) is built from a cached table of x^(2^k) mod P, one multiplication per set bit of n,
// so a combine costs a few microseconds for any length, and lengths are never truncated.
// Polynomials are reflected 64-bit values (bit 63 is the x^0 coefficient) held as uint32 halves.

import { join64, MASK64, POLY_HI, POLY_LO, split64, splitHi, splitLo } from './tables';

// multiply() returns its product through these to avoid allocating.
let productHi = 0;
let productLo = 0;

/** productHi:productLo = a · b mod P. */
function multiply(aHi: number, aLo: number, bHi: number, bLo: number): void {
  let pHi = 0;
  let pLo = 0;
  // Walk a's coefficients from x^0 upward (aHi's bits from the top, then aLo's) while b is
  // multiplied by x at each step; stop as soon as no set coefficient remains.
  let word = aHi | 0;
  let nextWord = aLo | 0;
  let bitsLeft = 32;
  for (;;) {
    if (word < 0) {
      pHi ^= bHi;
      pLo ^= bLo;
    }
    word <<= 1;
    if (--bitsLeft === 0) {
      if (nextWord === 0) break;
      word = nextWord;
      nextWord = 0;
      bitsLeft = 32;
    } else if (word === 0 && nextWord === 0) {
      break;
    }
    const carry = bLo & 1;
    bLo = (bLo >>> 1) | (bHi << 31);
    bHi >>>= 1;
    if (carry) {
      bLo ^= POLY_LO;
      bHi ^= POLY_HI;
    }
  }
  productHi = pHi >>> 0;
  productLo = pLo >>> 0;
}

// POWERS_HI/LO[k] = x^(2^k) mod P, extended on demand by squaring (64-bit lengths need k < 67).
const POWERS_HI: number[] = [0x40000000]; // x^1
const POWERS_LO: number[] = [0];

function powerOfTwoPower(k: number): void {
  while (POWERS_HI.length <= k) {
    const last = POWERS_HI.length - 1;
    multiply(POWERS_HI[last], POWERS_LO[last], POWERS_HI[last], POWERS_LO[last]);
    POWERS_HI.push(productHi);
    POWERS_LO.push(productLo);
  }
  productHi = POWERS_HI[k];
  productLo = POWERS_LO[k];
}

/** A non-negative integer length as little-endian uint32 words, validated. */
function lengthWords(length: bigint | number): number[] {
  if (typeof length === 'number') {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`length must be a non-negative safe integer, got ${length}`);
    }
    return [length % 0x100000000, Math.floor(length / 0x100000000)];
  }
  if (typeof length !== 'bigint' || length < 0n) throw new RangeError(`length must be >= 0, got ${length}`);
  const words: number[] = [];
  for (let n = length; n > 0n; n >>= 32n) words.push(Number(n & 0xffffffffn));
  return words;
}

/** Multiplies value (hi:lo) by x^(8·length) mod P, i.e. feeds `length` zero bytes to a raw register. */
function shiftByBytes(hi: number, lo: number, length: bigint | number): void {
  const words = lengthWords(length);
  for (let w = 0; w < words.length; w++) {
    for (let bits = words[w], bit = 0; bits !== 0; bits >>>= 1, bit++) {
      if (!(bits & 1)) continue;
      powerOfTwoPower(32 * w + bit + 3); // one byte is x^8 = x^(2^3)
      multiply(productHi, productLo, hi, lo);
      hi = productHi;
      lo = productLo;
    }
  }
  productHi = hi;
  productLo = lo;
}

function checkCrc(crc: bigint, label: string): void {
  if (typeof crc !== 'bigint' || crc < 0n || crc > MASK64) throw new RangeError(`${label} is not a 64-bit CRC: ${crc}`);
}

/**
 * crc(A‖B) from crc(A), crc(B) and |B|. Any length is exact (bigint or safe-integer number),
 * e.g. multi-terabyte objects. With lengthB = 0 the result is crcA ^ crcB (crcB is 0 for empty B).
 */
export function crc64Combine(crcA: bigint, crcB: bigint, lengthB: bigint | number): bigint {
  checkCrc(crcA, 'crcA');
  checkCrc(crcB, 'crcB');
  split64(crcA);
  shiftByBytes(splitHi(), splitLo(), lengthB);
  return join64(productHi, productLo) ^ crcB;
}

/**
 * The whole-object CRC-64 folded from its parts' CRCs, in the order given (ascending part numbers):
 * crc(p1‖p2‖…) without reading any data. 0n (the CRC of no bytes) for no parts; undefined when a
 * part's CRC is unknown (the typing says when that cannot happen).
 */
export function foldCrc64(parts: ReadonlyArray<{ crc64: bigint; size: number }>): bigint;
export function foldCrc64(parts: ReadonlyArray<{ crc64?: bigint | undefined; size: number }>): bigint | undefined;
export function foldCrc64(parts: ReadonlyArray<{ crc64?: bigint | undefined; size: number }>): bigint | undefined {
  let total = 0n;
  for (const p of parts) {
    if (p.crc64 === undefined) return undefined;
    total = crc64Combine(total, p.crc64, p.size);
  }
  return total;
}

/** x^(8·length) mod P as a reflected u64: the operator that appends `length` zero bytes. */
export function zeroBytesOperator(length: bigint | number): bigint {
  shiftByBytes(0x80000000, 0, length); // start from x^0
  return join64(productHi, productLo);
}
