// WebAssembly CRC-64 kernel: instantiated lazily on first use; input is copied through a fixed
// window in linear memory (memory never grows, whatever the input size).

import { MASK64, TABLES } from './tables';
import { buildCrc64WasmModule, TABLES_OFFSET, WINDOW_OFFSET, WINDOW_SIZE } from './wasm-module';

// Minimal typing of the WebAssembly JS API (the project's lib setting has no DOM types).
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
type UpdateFn = (crc: bigint, length: number) => bigint;

interface Kernel {
  update: UpdateFn;
  window: Uint8Array;
}

let kernel: Kernel | null | undefined; // undefined: not tried yet; null: unavailable

function instantiate(): Kernel | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) return null;
  try {
    // Synchronous compile is fine for a module this small (and works in Node on any thread).
    const { exports } = new api.Instance(new api.Module(buildCrc64WasmModule()));
    const memory = exports.memory as { buffer: ArrayBuffer };
    // WebAssembly memory is little-endian whatever the host: write the i64 halves explicitly.
    const tables = new DataView(memory.buffer, TABLES_OFFSET, TABLES.length * 4);
    for (let i = 0; i < TABLES.length; i++) tables.setInt32(4 * i, TABLES[i], true);
    const window = new Uint8Array(memory.buffer, WINDOW_OFFSET, WINDOW_SIZE);
    const update = exports.update as UpdateFn;
    // Self-check before trusting it: CRC-64/XZ check value of "123456789".
    window.set([0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39]);
    if (BigInt.asUintN(64, update(0n, 9)) !== 0x995dc9bbdf1939fan) return null;
    return { update, window };
  } catch {
    return null;
  }
}

function getKernel(): Kernel | null {
  if (kernel === undefined) kernel = instantiate();
  return kernel;
}

/** True if the WebAssembly kernel can be used in this environment. */
export function wasmAvailable(): boolean {
  return getKernel() !== null;
}

/**
 * CRC-64 of `data` continuing from `prev`, via WebAssembly.
 * Returns undefined when WebAssembly is unavailable (callers fall back to JS).
 */
export function crc64Wasm(data: Uint8Array, prev: bigint = 0n): bigint | undefined {
  const k = getKernel();
  if (!k) return undefined;
  const { update, window } = k;
  if (data.length <= WINDOW_SIZE) {
    window.set(data);
    return update(prev, data.length) & MASK64; // i64 results come back signed
  }
  let crc = prev;
  for (let offset = 0; offset < data.length; offset += WINDOW_SIZE) {
    const chunk = data.subarray(offset, offset + WINDOW_SIZE);
    window.set(chunk);
    crc = update(crc, chunk.length); // signed i64 is fine as input: it is read mod 2^64
  }
  return crc & MASK64;
}
