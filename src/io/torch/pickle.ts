/**
 * A minimal, safe reader for Python pickles (protocols 2 to 5), enough for the state dicts that
 * `torch.save` writes and nothing more.
 *
 * A pickle is a program for a stack machine whose `GLOBAL` and `REDUCE` opcodes can import and call any
 * Python function (`os.system` included). This reader never looks anything up by name: every global must
 * be in the caller's allowlist (a fixed table of JS functions), anything else is an error that names it.
 * Opcodes a state dict does not need (`INST`, `OBJ`, `EXT*`, text protocol 0 opcodes, ...) are errors too.
 * @internal
 */
import { TorchFormatError } from './errors.js';

/** A Python tuple (kept apart from lists, which are plain arrays). */
export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A Python dict or `collections.OrderedDict`, in insertion order. `attrs` holds state set by `BUILD`. */
export class PyDict {
  readonly entries = new Map<PyKey, PyValue>();
  readonly attrs = new Map<string, PyValue>();
}

/** Keys a state dict can have. */
export type PyKey = string | number | bigint | boolean | null;

/** A value produced by the unpickler; `object` covers what allowlisted globals return (tensors, storages). */
export type PyValue = PyKey | Uint8Array | PyValue[] | PyTuple | PyDict | PyCallable | object;

/** An allowlisted global: called by `REDUCE` / `NEWOBJ` with the unpickled arguments. */
export interface PyCallable {
  /** `module.name`, for error messages. */
  readonly qualifiedName: string;
  /** Builds the value from the call's arguments. */
  call(args: PyValue[]): PyValue;
  /** Applies `BUILD` state to a value this callable made; absent means `BUILD` is an error. */
  build?(target: PyValue, state: PyValue): void;
}

/** What the unpickler needs from its caller. */
export interface UnpickleOptions {
  /** Returns the allowed callable for `module.name`, or undefined (then unpickling fails, naming it). */
  resolveGlobal(module: string, name: string): PyCallable | undefined;
  /** Resolves a persistent id (`BINPERSID`); absent means persistent ids are an error. */
  persistentLoad?(pid: PyValue): PyValue;
  /** Name of the thing being read, for error messages (e.g. `'data.pkl'`). */
  source?: string;
}

/** Result of {@link unpickle}: the value and the offset just past its `STOP` opcode. */
export interface UnpickleResult {
  /** The unpickled value. */
  value: PyValue;
  /** Byte offset just after the `STOP` opcode. */
  end: number;
}


const isCallable = (v: unknown): v is PyCallable =>
  typeof v === 'object' && v !== null && typeof (v as PyCallable).call === 'function' && 'qualifiedName' in v;

/**
 * Unpickles one pickle starting at `offset` of `bytes`. Throws an `Error` naming the problem (unknown
 * opcode, disallowed global, truncated data) and its byte offset; nothing outside `options` is ever called.
 */
export function unpickle(bytes: Uint8Array, offset: number, options: UnpickleOptions): UnpickleResult {
  const src = options.source ?? 'pickle';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = offset;
  let opPos = offset;

  const fail = (msg: string): never => {
    throw new TorchFormatError(`${src}: ${msg} (at byte ${opPos})`);
  };
  const need = (n: number): void => {
    if (pos + n > bytes.length) fail(`truncated: needs ${n} more byte(s) but the data ends`);
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++]!;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} is too large`);
    return Number(v);
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const text = (n: number): string => {
    const raw = take(n);
    try {
      return utf8.decode(raw);
    } catch {
      return fail('invalid UTF-8 in a string');
    }
  };
  const line = (): string => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) fail('truncated: unterminated text line');
    const s = latin1(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) fail('stack underflow');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1]!;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) fail('no MARK to pop to');
    return stack.splice(m!);
  };
  const longFrom = (raw: Uint8Array): number | bigint => {
    if (raw.length === 0) return 0;
    let v = 0n;
    for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]!);
    if (raw[raw.length - 1]! & 0x80) v -= 1n << BigInt(8 * raw.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const toKey = (k: PyValue): PyKey => {
    if (k === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof k)) return k as PyKey;
    return fail(`unsupported dict key type ${describeValue(k)}`);
  };
  const setItems = (target: PyValue, items: PyValue[]): void => {
    if (!(target instanceof PyDict)) fail(`SETITEM(S) on ${describeValue(target)}, not a dict`);
    if (items.length % 2 !== 0) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) (target as PyDict).entries.set(toKey(items[i]!), items[i + 1]!);
  };
  const appendItems = (target: PyValue, items: PyValue[]): void => {
    if (!Array.isArray(target)) fail(`APPEND(S) on ${describeValue(target)}, not a list`);
    for (const item of items) (target as PyValue[]).push(item); // no spread: a huge APPENDS would overflow the call stack
  };
  const global = (module: string, name: string): PyCallable => {
    const found = options.resolveGlobal(module, name);
    if (!found) {
      fail(
        `refusing to load global '${module}.${name}': only the torch/collections names a state dict needs are ` +
          'allowed (a pickle can run arbitrary code; this file is either not a plain state dict or malicious)',
      );
    }
    return found!;
  };
  const callValue = (fn: PyValue, args: PyValue, opname: string): PyValue => {
    if (!isCallable(fn)) return fail(`${opname} on ${describeValue(fn)}, not an allowed global`);
    if (!(args instanceof PyTuple)) return fail(`${opname} arguments are ${describeValue(args)}, not a tuple`);
    try {
      return fn.call(args.items);
    } catch (e) {
      return fail(`${fn.qualifiedName}: ${(e as Error).message}`);
    }
  };
  /** Remembers which callable made each object so that BUILD can be routed to it. */
  const madeBy = new WeakMap<object, PyCallable>();

  for (;;) {
    opPos = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('unsupported pickle protocol');
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length !== 0) fail(`STOP with ${stack.length} item(s) on the stack`);
        return { value: pop(), end: pos };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length > 0 && marks[marks.length - 1] === stack.length) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(longFrom(take(u8())));
        break;
      case 0x8b: {
        // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(longFrom(take(n)));
        break;
      }
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x55: // SHORT_BINSTRING (Python 2 str; latin-1)
        stack.push(latin1(take(u8())));
        break;
      case 0x54: {
        // BINSTRING
        const n = i32();
        if (n < 0) fail('negative BINSTRING length');
        stack.push(latin1(take(n)));
        break;
      }
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const idx = op === 0x68 ? u8() : u32();
        if (!memo.has(idx)) fail(`memo key ${idx} is missing`);
        stack.push(memo.get(idx)!);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        const v = callValue(fn, args, 'REDUCE');
        if (typeof v === 'object' && v !== null) madeBy.set(v, fn as PyCallable);
        stack.push(v);
        break;
      }
      case 0x81: {
        // NEWOBJ (cls, args): treated as a call of the allowlisted class
        const args = pop();
        const cls = pop();
        const v = callValue(cls, args, 'NEWOBJ');
        if (typeof v === 'object' && v !== null) madeBy.set(v, cls as PyCallable);
        stack.push(v);
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        const maker = typeof target === 'object' && target !== null ? madeBy.get(target) : undefined;
        if (!maker?.build) fail(`BUILD on ${describeValue(target)} is not allowed`);
        try {
          maker!.build!(target, state);
        } catch (e) {
          fail(`BUILD on ${maker!.qualifiedName}: ${(e as Error).message}`);
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) fail('persistent id where none is expected');
        try {
          stack.push(options.persistentLoad!(pid));
        } catch (e) {
          fail(`persistent id: ${(e as Error).message}`);
        }
        break;
      }
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}')`);
    }
  }
}

function latin1(raw: Uint8Array): string {
  let s = '';
  for (let i = 0; i < raw.length; i += 4096) s += String.fromCharCode(...raw.subarray(i, i + 4096));
  return s;
}

/** Short description of a pickled value's type, for error messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof PyTuple) return 'a tuple';
  if (v instanceof PyDict) return 'a dict';
  if (v instanceof Uint8Array) return 'bytes';
  if (isCallable(v)) return `global ${v.qualifiedName}`;
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v === 'bigint' ? 'int' : typeof v === 'number' ? (Number.isInteger(v) ? 'int' : 'float') : typeof v;
}
