/**
 * Debian's Chromium (/usr/bin/chromium) driven by playwright-core, never a downloaded browser, with the flags the
 * project's browser tests share (no network services of its own, no sandbox in containers). Locally a missing
 * Chromium skips the suite visibly; with CI=true it fails it.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { describe } from "vitest";

/** Where Debian installs Chromium (`CHROMIUM_PATH` overrides it, e.g. to check the missing-browser path). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** The flags every browser test launches with: no network services of Chromium's own, no sandbox in containers. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Why the browser cannot run here, or undefined when it can. */
export function browserSkipReason(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `${CHROMIUM_PATH} is missing (apt-get install chromium)`;
}

/**
 * Launches Chromium headless (playwright gives it a fresh temporary profile, removed on close). Resolves to null when
 * Chromium is missing locally; throws under CI=true, where a missing browser is a broken setup.
 */
export async function launchChromium(): Promise<Browser | null> {
  const reason = browserSkipReason();
  if (reason) {
    if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
    return null;
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}

/**
 * `describe` for browser suites: skipped, with the reason in its name, when Chromium is missing locally; run (and
 * failing) under CI=true.
 */
export function describeBrowser(name: string, body: () => void): void {
  const reason = process.env.CI === "true" ? undefined : browserSkipReason();
  if (reason) describe.skip(`${name} (skipped: ${reason})`, body);
  else describe(name, body);
}
