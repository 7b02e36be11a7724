// CRC-64/XZ ("ECMA-182" in OSS docs): reflected poly 0xC96C5795D7870F42, init and xorout all ones.
// OSS returns it as the decimal header x-oss-hash-crc64ecma.
//
// Modules: tables (constants, slicing tables), js (pure-JS slicing-by-8: small inputs and the
// fallback), wasm-module (emits the WebAssembly kernel: four-lane slicing-by-16), wasm (loads it,
// copies input through a fixed window), hash (dispatch, Crc64, parseCrc64), combine
// (crc(A‖B) from parts, and the fold of a whole object's parts), stream (pass-through hashing Transform).

export { crc64, Crc64, parseCrc64, WASM_MIN_BYTES } from './hash';
export { crc64Combine, foldCrc64 } from './combine';
export { createCrc64Stream, Crc64Stream } from './stream';
