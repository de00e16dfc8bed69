/**
 * Which targets a run holds to the spec, read from the environment: `CONTRACT_TARGET=prism|mock|live` selects one;
 * without it `npm test` runs prism and mock. The live target needs `KLING_BASE_URL` and `KLING_API_KEY`, and spends
 * money only with `KLING_LIVE_SPEND=1`.
 */

/** The suite's targets. */
export const TARGET_NAMES = ["prism", "mock", "live"] as const;
/** A target's name. */
export type TargetName = (typeof TARGET_NAMES)[number];

type Env = Readonly<Record<string, string | undefined>>;

/** The targets this run holds to the spec. Throws on an unknown `CONTRACT_TARGET`. */
export function selectedTargets(env: Env = process.env): TargetName[] {
  const chosen = env.CONTRACT_TARGET?.trim();
  if (!chosen) return ["prism", "mock"];
  if (!(TARGET_NAMES as readonly string[]).includes(chosen)) {
    throw new Error(`CONTRACT_TARGET=${chosen} is not one of ${TARGET_NAMES.join(", ")}`);
  }
  return [chosen as TargetName];
}

/** Whether each exchange is written to contract-tests/recordings/ (`CONTRACT_RECORD=1`, or `--record`). */
export function recordingEnabled(env: Env = process.env): boolean {
  return env.CONTRACT_RECORD === "1" || env.CONTRACT_RECORD === "true";
}

/** The live target's settings, or what is missing. */
export type LiveConfig =
  | {
      ok: true;
      baseUrl: string;
      apiKey: string;
      /** `KLING_LIVE_SPEND=1`: create billed tasks. */
      spend: boolean;
      /** `KLING_CALLBACK_URL`: a public URL that forwards to `KLING_CALLBACK_PORT` on this machine. */
      callback?: { url: string; port: number };
    }
  | { ok: false; missing: string[] };

/** Reads the live target's settings. */
export function liveConfig(env: Env = process.env): LiveConfig {
  const missing = ["KLING_BASE_URL", "KLING_API_KEY"].filter((name) => !env[name]?.trim());
  if (missing.length) return { ok: false, missing };
  const callbackUrl = env.KLING_CALLBACK_URL?.trim();
  const callbackPort = Number(env.KLING_CALLBACK_PORT);
  return {
    ok: true,
    baseUrl: (env.KLING_BASE_URL ?? "").trim().replace(/\/+$/, ""),
    apiKey: (env.KLING_API_KEY ?? "").trim(),
    spend: env.KLING_LIVE_SPEND === "1",
    ...(callbackUrl && Number.isInteger(callbackPort) && callbackPort > 0
      ? { callback: { url: callbackUrl, port: callbackPort } }
      : {}),
  };
}
