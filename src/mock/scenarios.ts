/**
 * The mock's scenarios: what each one does, and how a request picks one (`Prefer: scenario=NAME`, RFC 7240).
 */

/** Every scenario, in the order `--help` and the README list them. */
export const SCENARIOS = [
  "happy",
  "slow",
  "fails",
  "rate-limited",
  "quota",
  "flaky",
  "upstream-down",
  "unavailable",
  "server-error",
  "forbidden",
  "model-not-found",
  "expired-result",
  "reset",
  "hang",
  "malformed",
] as const;

/** A scenario name: chosen per request (`Prefer: scenario=NAME`) or for the whole server. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** One line per scenario, for `--help` and the README. */
export const SCENARIO_DESCRIPTIONS: Readonly<Record<ScenarioName, string>> = {
  happy: "tasks go pending -> processing (progress rising) -> completed, with a playable MP4 result",
  slow: "like happy, but each task takes five times as long (estimated_time says so)",
  fails: "tasks are created, then fail part-way with the spec's error (error.code video_download_failed)",
  "rate-limited":
    "every /v1 request answers 429 with Retry-After and the spec's fallback_suggestion; no task is created",
  quota: "creating a task answers 402 (insufficient quota); task queries behave as in happy",
  flaky: "about a third of /v1 requests answer 502 or 503 (never more than two in a row; the pattern follows --seed)",
  "upstream-down": "every /v1 request answers 502; no task is created",
  unavailable: "every /v1 request answers 503 with Retry-After (the spec's example); no task is created",
  "server-error": "every /v1 request answers 500 (the spec's example); no task is created",
  forbidden: "creating a task answers 403 permission_error with param model; task queries behave as in happy",
  "model-not-found":
    "creating a task answers 404 not_found_error (model) with fallback_suggestion; task queries behave as in happy",
  "expired-result": "tasks complete, but their result links have already expired (the download answers 410)",
  reset: "the connection is dropped without an answer (a valid create request has still created its task)",
  hang: "no answer ever comes, until the client gives up (a valid create request has still created its task)",
  malformed: "a 200 answer's body is cut in half: invalid JSON (a valid create request has created its task)",
};

/** Scenarios that decide a task's lifecycle; they stick to the task chosen when it was created. */
export const LIFECYCLE_SCENARIOS: readonly ScenarioName[] = ["happy", "slow", "fails", "expired-result"];

/** Whether a string names a scenario. */
export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(value);
}

/**
 * Reads `scenario=NAME` from a `Prefer` header (`Prefer: respond-async, scenario=fails`). Returns `undefined` when the
 * header does not name one, the name otherwise (which the caller checks with {@link isScenarioName}).
 */
export function scenarioFromPrefer(prefer: string | null | undefined): string | undefined {
  if (!prefer) return undefined;
  for (const part of prefer.split(/[,;]/)) {
    const match = /^\s*scenario\s*=\s*"?([^"\s]*)"?\s*$/i.exec(part);
    if (match) return (match[1] ?? "").toLowerCase();
  }
  return undefined;
}
