// A cheap non-cryptographic string hash, for content names and fingerprints (not for security: files
// that must not be tampered with are checked by content, see the wasm worker scripts).

/** 32-bit FNV-1a hash of a string's UTF-16 code units, as 8 hex digits. */
export function fnv1aHex(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}
