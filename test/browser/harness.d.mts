// Types for harness.mjs (plain JS so the bench can run it without a TypeScript step).
import type { Browser, Page } from 'playwright-core';

/** Repository root, with a trailing slash. */
export const repoRoot: string;
/** Chromium binary used by the browser suite (CHROMIUM_PATH or /usr/bin/chromium). */
export const chromiumPath: string;
/** Launch flags every run needs. */
export const baseFlags: string[];
/** Flags that expose SwiftShader's WebGPU adapter. */
export const webgpuFlags: string[];
/** True when the Chromium binary exists. */
export function chromiumAvailable(): boolean;
/** Headless Chromium with the base and WebGPU flags. */
export function launchChromium(): Promise<Browser>;
/** The import map harness pages get. */
export function importMap(): { imports: Record<string, string> };
/** A running harness server. */
export interface HarnessServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** Stops the server. */
  close(): Promise<void>;
}
/** Starts the static server; `extraRoots` maps URL prefixes ('/app/') to directories; `distDir` is the built package (default PIX2PIX_DIST or dist/). */
export function startServer(options?: { extraRoots?: Record<string, string>; distDir?: string }): Promise<HarnessServer>;
/** Opens a page and forwards its errors to `log`. */
export function openPage(browser: Browser, baseUrl: string, path: string, log?: (line: string) => void): Promise<Page>;
