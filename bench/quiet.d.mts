// Types of bench/quiet.mjs for the tests that import it.
export declare const QUIET_MAX_LOAD: number;
export interface QuietReading {
  label: string;
  load: number;
  waitedMs: number;
  quiet: boolean;
}
export interface QuietVerdict {
  quiet: boolean;
  max: number;
  worst: number;
  busy: number;
  readings: number;
  waitedMs: number;
}
export interface QuietGate {
  check(label: string): Promise<QuietReading>;
  readings: QuietReading[];
  verdict(): QuietVerdict;
}
export declare function quietGate(o: {
  read: () => number | Promise<number>;
  max?: number;
  waitMs?: number;
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  log?: (line: string) => void;
}): QuietGate;
export declare function ratioRefusal(v: QuietVerdict): string | null;
export declare function machineLoad(): { ownPids: Set<number>; loadavg(): number; read(): Promise<number> };
