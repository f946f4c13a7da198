/**
 * A tiny protocol-2 pickle emitter: just the opcodes a `torch.save` state dict uses, so that the output
 * loads with `torch.load(..., weights_only=True)` (PyTorch's restricted unpickler) as well as plain `torch.load`.
 * @internal
 */
export class PickleWriter {
  private chunks: number[] = [];

  /** Raw opcode bytes. */
  private op(...bytes: number[]): this {
    for (const b of bytes) this.chunks.push(b);
    return this;
  }

  /** `PROTO 2`. */
  proto(): this {
    return this.op(0x80, 2);
  }

  /** `GLOBAL module\nname\n`. */
  global(module: string, name: string): this {
    this.op(0x63);
    for (const c of `${module}\n${name}\n`) this.op(c.charCodeAt(0) & 0x7f);
    return this;
  }

  /** A str (`BINUNICODE`, UTF-8). */
  str(s: string): this {
    const bytes = new TextEncoder().encode(s);
    this.op(0x58, ...u32(bytes.length));
    for (const b of bytes) this.chunks.push(b);
    return this;
  }

  /** A non-negative int (`BININT1` / `BININT2` / `BININT`), < 2^31. */
  int(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** 31) throw new RangeError(`pickle int out of range (got ${n})`);
    if (n < 256) return this.op(0x4b, n);
    if (n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    return this.op(0x4a, ...u32(n));
  }

  /** `NEWFALSE`. */
  false(): this {
    return this.op(0x89);
  }

  /** `MARK`. */
  mark(): this {
    return this.op(0x28);
  }

  /** `TUPLE` (items since the last mark). */
  tuple(): this {
    return this.op(0x74);
  }

  /** `EMPTY_TUPLE`. */
  emptyTuple(): this {
    return this.op(0x29);
  }

  /** A tuple of small ints. */
  intTuple(items: number[]): this {
    if (items.length === 0) return this.emptyTuple();
    this.mark();
    for (const n of items) this.int(n);
    return this.tuple();
  }

  /** `REDUCE`. */
  reduce(): this {
    return this.op(0x52);
  }

  /** `BINPERSID`. */
  persId(): this {
    return this.op(0x51);
  }

  /** `SETITEMS` (key/value pairs since the last mark). */
  setItems(): this {
    return this.op(0x75);
  }

  /** `NEWTRUE`. */
  true(): this {
    return this.op(0x88);
  }

  /** `NONE`. */
  none(): this {
    return this.op(0x4e);
  }

  /** `EMPTY_DICT`. */
  emptyDict(): this {
    return this.op(0x7d);
  }

  /** `EMPTY_LIST`. */
  emptyList(): this {
    return this.op(0x5d);
  }

  /** `APPENDS` (items since the last mark). */
  appends(): this {
    return this.op(0x65);
  }

  /** A non-negative int of any size (`LONG1`: little-endian two's complement, shortest form). */
  long(v: bigint): this {
    if (v < 0n) throw new RangeError(`pickle long must be >= 0 (got ${v})`);
    const bytes: number[] = [];
    let x = v;
    while (x > 0n) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    }
    if (bytes.length === 0 || bytes[bytes.length - 1]! >= 0x80) bytes.push(0);
    return this.op(0x8a, bytes.length, ...bytes);
  }

  /** `STOP`, then the finished bytes. */
  finish(): Uint8Array {
    this.op(0x2e);
    return Uint8Array.from(this.chunks);
  }
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}
