// Emits the WebAssembly CRC-64/XZ kernel from the readable description below. Building the
// ~1.7 KB module at run time means there is no binary artifact to load from disk, bundle or
// regenerate: esbuild just inlines this code.
//
// Memory (fixed size, never grows):
//   [0, 32 KiB)        16 slicing tables of 256 i64 (filled from JS)
//   [32 KiB, +256 KiB) input window: JS copies each chunk here, then calls update
//   then 32 bytes      scratch (see "fence" below)
//
// update(crc: i64, len: i32) -> i64, in pseudo-code:
//   c = ~crc; p = WINDOW_OFFSET; end = p + len
//   while end - p >= 4 * LANE:                   ;; four interleaved lanes of LANE bytes
//     r0 = c; r1 = r2 = r3 = 0
//     for q in [p, p + LANE) step 16:
//       for s in 0..3: r_s = step16(r_s, q + s * LANE); scratch[s] = r_s   ;; fence
//     c = ((r0 * K ^ r1) * K ^ r2) * K ^ r3        ;; K = x^(8 * LANE) mod P: joins the lanes
//     p += 4 * LANE
//   while end - p >= 16: c = step16(c, p); p += 16
//   while p < end: c = T0[(c ^ mem[p]) & 0xff] ^ (c >> 8); p += 1
//   return ~c
// where step16(r, q) is slicing-by-16: a = r ^ load64(q), b = load64(q + 8),
//   T15[a.byte0] ^ T14[a.byte1] ^ ... ^ T8[a.byte7] ^ T7[b.byte0] ^ ... ^ T0[b.byte7].
//
// Why four lanes: one slicing chain is latency-bound (each step waits for the previous CRC);
// independent lanes keep the CPU busy, and joining them costs three 64-step multiplies per 16 KiB.
// Why the fence: V8's optimizing compiler otherwise hoists every lane's table loads ahead of the
// XORs and spills registers; storing each lane's result orders the next lane's loads after it.
// Measured on x64 Node 20: ~15% faster than single-chain slicing-by-16 (~2.9 vs ~2.5 GB/s in cache).

import { zeroBytesOperator } from './combine';
import { POLY } from './tables';

/** Byte offset of the slicing tables in linear memory (16 x 256 x 8 bytes). */
export const TABLES_OFFSET = 0;
/** Byte offset of the input window in linear memory. */
export const WINDOW_OFFSET = 32 * 1024;
/** Input bytes per kernel call. Sized so the window plus tables stay in L2. */
export const WINDOW_SIZE = 256 * 1024;
/** Bytes per lane in the four-lane loop; inputs of 4 * LANE_BYTES or more use it. */
export const LANE_BYTES = 4096;
const LANES = 4;
const SCRATCH_OFFSET = WINDOW_OFFSET + WINDOW_SIZE;
const PAGE = 64 * 1024;
const PAGES = Math.ceil((SCRATCH_OFFSET + 8 * LANES) / PAGE);
const TABLE_BYTES = 256 * 8;

const I32 = 0x7f;
const I64 = 0x7e;
const OP = {
  block: 0x02, loop: 0x03, end: 0x0b, br: 0x0c, brIf: 0x0d, call: 0x10, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i64Load: 0x29, i64Load8U: 0x31, i64Store: 0x37, i32Const: 0x41, i64Const: 0x42,
  i32Ne: 0x47, i32LtU: 0x49, i32GeU: 0x4f, i32Add: 0x6a, i32Sub: 0x6b, i32And: 0x71, i32Shl: 0x74,
  i64Sub: 0x7d, i64And: 0x83, i64Xor: 0x85, i64Shl: 0x86, i64ShrS: 0x87, i64ShrU: 0x88, i32WrapI64: 0xa7,
} as const;

function unsignedLeb(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n ? byte | 0x80 : byte);
  } while (n);
  return out;
}

/** Signed LEB128 of an int32 (number) or a 64-bit two's complement value (bigint; u64 wraps). */
function signedLeb(value: number | bigint): number[] {
  if (typeof value === 'number') {
    const out: number[] = [];
    for (let n = value | 0; ; ) {
      const byte = n & 0x7f;
      n >>= 7;
      const done = (n === 0 && !(byte & 0x40)) || (n === -1 && byte & 0x40);
      out.push(done ? byte : byte | 0x80);
      if (done) return out;
    }
  }
  let n = BigInt.asIntN(64, value);
  const out: number[] = [];
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && !(byte & 0x40)) || (n === -1n && byte & 0x40);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const vec = (items: number[][]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...unsignedLeb(body.length), ...body];
const name = (s: string): number[] => vec([...new TextEncoder().encode(s)].map((b) => [b]));

/** Tiny instruction writer; method names follow the WebAssembly mnemonics. */
class Code {
  readonly bytes: number[] = [];
  op(...ops: number[]): this {
    for (const b of ops) this.bytes.push(b);
    return this;
  }
  get(local: number): this { return this.op(OP.localGet, ...unsignedLeb(local)); }
  set(local: number): this { return this.op(OP.localSet, ...unsignedLeb(local)); }
  tee(local: number): this { return this.op(OP.localTee, ...unsignedLeb(local)); }
  i32(value: number): this { return this.op(OP.i32Const, ...signedLeb(value)); }
  i64(value: number | bigint): this { return this.op(OP.i64Const, ...signedLeb(value)); }
  i64Load(offset: number): this { return this.op(OP.i64Load, 3, ...unsignedLeb(offset)); }
  i64Load8U(offset: number): this { return this.op(OP.i64Load8U, 0, ...unsignedLeb(offset)); }
  i64Store(offset: number): this { return this.op(OP.i64Store, 3, ...unsignedLeb(offset)); }
  block(): this { return this.op(OP.block, OP.void); }
  loop(): this { return this.op(OP.loop, OP.void); }
  end(): this { return this.op(OP.end); }
  br(depth: number): this { return this.op(OP.br, depth); }
  brIf(depth: number): this { return this.op(OP.brIf, depth); }
  call(func: number): this { return this.op(OP.call, ...unsignedLeb(func)); }
}

/** Function body: locals as [count, type] runs, then code. */
function body(locals: Array<[number, number]>, code: Code): number[] {
  const bytes = [...vec(locals.map(([count, type]) => [...unsignedLeb(count), type])), ...code.bytes, OP.end];
  return [...unsignedLeb(bytes.length), ...bytes];
}

/** Pushes T[table][byte k of i64 local v]: address ((v >> 8k) & 0xff) * 8, folded into one mask. */
function lookup(code: Code, v: number, k: number, table: number): void {
  code.get(v);
  if (k === 0) code.op(OP.i32WrapI64).i32(3).op(OP.i32Shl);
  else code.i64(8 * k - 3).op(OP.i64ShrU, OP.i32WrapI64);
  code.i32(0xff << 3).op(OP.i32And).i64Load(TABLES_OFFSET + table * TABLE_BYTES);
}

/** reg = step16(reg, q + offset), using locals a and b as temporaries. */
function step16(code: Code, reg: number, q: number, offset: number, a: number, b: number): void {
  code.get(reg).get(q).i64Load(offset).op(OP.i64Xor).set(a);
  code.get(q).i64Load(offset + 8).set(b);
  // XOR in sequence: the chain's latency is hidden by the other lanes, and it needs few registers.
  for (let k = 0; k < 16; k++) {
    if (k < 8) lookup(code, a, k, 15 - k);
    else lookup(code, b, k - 8, 15 - k);
    if (k > 0) code.op(OP.i64Xor);
  }
  code.set(reg);
}

// Function 0: mulmod(a: i64, b: i64) -> i64 = a * b mod P (reflected; bit 63 is x^0).
function mulmodBody(): number[] {
  const A = 0, B = 1, PRODUCT = 2, I = 3;
  const code = new Code();
  code.i32(64).set(I);
  code.loop();
  // product ^= b if a's x^0 coefficient (top bit) is set
  code.get(PRODUCT).get(B).get(A).i64(63).op(OP.i64ShrS, OP.i64And, OP.i64Xor).set(PRODUCT);
  code.get(A).i64(1).op(OP.i64Shl).set(A);
  // b *= x: shift toward higher powers, reducing by P when x^63 falls off
  code.get(B).i64(1).op(OP.i64ShrU).i64(POLY).i64(0).get(B).i64(1).op(OP.i64And, OP.i64Sub, OP.i64And, OP.i64Xor).set(B);
  code.get(I).i32(1).op(OP.i32Sub).tee(I).brIf(0);
  code.end();
  code.get(PRODUCT);
  return body([[1, I64], [1, I32]], code);
}

// Function 1: update(crc: i64, len: i32) -> i64 (see the pseudo-code at the top).
function updateBody(): number[] {
  const CRC = 0, LEN = 1; // params
  const P = 2, END = 3, Q = 4, QEND = 5; // i32 locals
  const C = 6, A = 7, B = 8, R = 9; // i64 locals; R..R+3 are the lane registers
  const K = zeroBytesOperator(LANE_BYTES);
  const code = new Code();
  code.get(CRC).i64(-1).op(OP.i64Xor).set(C);
  code.i32(WINDOW_OFFSET).set(P);
  code.get(LEN).i32(WINDOW_OFFSET).op(OP.i32Add).set(END);

  // Four lanes over blocks of 4 * LANE_BYTES.
  code.block().loop();
  code.get(END).get(P).op(OP.i32Sub).i32(LANES * LANE_BYTES).op(OP.i32LtU).brIf(1);
  code.get(C).set(R);
  for (let s = 1; s < LANES; s++) code.i64(0).set(R + s);
  code.get(P).tee(Q).i32(LANE_BYTES).op(OP.i32Add).set(QEND);
  code.loop();
  for (let s = 0; s < LANES; s++) {
    step16(code, R + s, Q, s * LANE_BYTES, A, B);
    code.i32(0).get(R + s).i64Store(SCRATCH_OFFSET + 8 * s); // fence
  }
  code.get(Q).i32(16).op(OP.i32Add).tee(Q).get(QEND).op(OP.i32LtU).brIf(0);
  code.end();
  code.get(R);
  for (let s = 1; s < LANES; s++) code.i64(K).call(0).get(R + s).op(OP.i64Xor);
  code.set(C);
  code.get(P).i32(LANES * LANE_BYTES).op(OP.i32Add).set(P).br(0);
  code.end().end();

  // One chain, 16 bytes per step.
  code.block().loop();
  code.get(END).get(P).op(OP.i32Sub).i32(16).op(OP.i32LtU).brIf(1);
  step16(code, C, P, 0, A, B);
  code.get(P).i32(16).op(OP.i32Add).set(P).br(0);
  code.end().end();

  // Tail: one byte per step.
  code.block().loop();
  code.get(P).get(END).op(OP.i32GeU).brIf(1);
  code.get(C).get(P).i64Load8U(0).op(OP.i64Xor, OP.i32WrapI64).i32(0xff).op(OP.i32And).i32(3).op(OP.i32Shl);
  code.i64Load(TABLES_OFFSET);
  code.get(C).i64(8).op(OP.i64ShrU, OP.i64Xor).set(C);
  code.get(P).i32(1).op(OP.i32Add).set(P).br(0);
  code.end().end();

  code.get(C).i64(-1).op(OP.i64Xor);
  return body([[4, I32], [3 + LANES, I64]], code);
}

/** The kernel module's bytes. Exports: memory, update(crc: i64, len: i32) -> i64. */
export function buildCrc64WasmModule(): Uint8Array {
  const FUNC_TYPE = 0x60, EXPORT_FUNC = 0, EXPORT_MEMORY = 2, LIMITS_MIN_MAX = 1;
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vec([ // types
      [FUNC_TYPE, ...vec([[I64], [I64]]), ...vec([[I64]])], // 0: mulmod
      [FUNC_TYPE, ...vec([[I64], [I32]]), ...vec([[I64]])], // 1: update
    ])),
    ...section(3, vec([[0], [1]])), // functions and their types
    ...section(5, vec([[LIMITS_MIN_MAX, ...unsignedLeb(PAGES), ...unsignedLeb(PAGES)]])), // memory
    ...section(7, vec([
      [...name('memory'), EXPORT_MEMORY, 0],
      [...name('update'), EXPORT_FUNC, 1],
    ])),
    ...section(10, vec([mulmodBody(), updateBody()])), // code
  ]);
}
