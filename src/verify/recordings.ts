/**
 * Recordings: one exchange per JSON file (`kling-edit verify --record DIR`, the contract suite's
 * `contract-tests/recordings/`); `kling-edit drift live` reads them. Secrets never reach disk: the Authorization
 * header, any header that carries a key, and every occurrence of a known secret value are removed before writing.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createScrubber, type Scrubber } from "../internal/redact.js";
import type { Exchange, ExchangeRequest, ExchangeResponse, Headers } from "./types.js";

/** One recorded exchange, as stored on disk. */
export interface Recording {
  /** ISO-8601 time of the exchange. */
  recordedAt: string;
  /** The target it came from: `live`, or `prism`/`mock` for example recordings. */
  target: string;
  operationId: string;
  request: ExchangeRequest;
  response: ExchangeResponse;
}

/** Header names that carry credentials, whatever their value. */
const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token)$/i;

/** What replaces a secret value inside a kept string. */
export const REDACTED = "[REDACTED]";

function scrubHeaders(headers: Headers, scrubber: Scrubber): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADERS.test(name)) continue;
    if (/bearer\s/i.test(value)) continue;
    out[scrubber.text(name.toLowerCase())] = scrubber.text(value);
  }
  return out;
}

/** Turns an exchange into a recording with every credential removed (`secrets`: values to blank wherever found). */
export function toRecording(
  exchange: Exchange,
  target: string,
  secrets: readonly string[],
  recordedAt = new Date(),
): Recording {
  // The package's scrubber: it also finds a key in the form Headers sent it (trimmed of a .env file's \r).
  const scrubber = createScrubber(secrets, { placeholder: REDACTED });
  return {
    recordedAt: recordedAt.toISOString(),
    target,
    operationId: exchange.operationId,
    request: {
      method: exchange.request.method,
      path: scrubber.text(exchange.request.path),
      headers: scrubHeaders(exchange.request.headers, scrubber),
      body: scrubber.value(exchange.request.body),
    },
    response: {
      status: exchange.response.status,
      headers: scrubHeaders(exchange.response.headers, scrubber),
      body: scrubber.value(exchange.response.body),
    },
  };
}

let sequence = 0;

/** Writes a recording as `<target>-<operationId>-<status>-<time>-<n>.json`; returns the file path. */
export async function writeRecording(recording: Recording, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  sequence += 1;
  const stamp = recording.recordedAt.replace(/[:.]/g, "-");
  const name = `${recording.target}-${recording.operationId}-${recording.response.status}-${stamp}-${process.pid}-${sequence}.json`;
  const file = join(dir, name);
  await writeFile(file, `${JSON.stringify(recording, null, 2)}\n`);
  return file;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringMap(value: unknown): value is Headers {
  return isRecord(value) && Object.values(value).every((v) => typeof v === "string");
}

/** Problems with a parsed file as a recording (shape, and any credential left in it); `[]` when it is sound. */
export function recordingProblems(value: unknown): string[] {
  if (!isRecord(value)) return ["not a JSON object"];
  const problems: string[] = [];
  if (typeof value.recordedAt !== "string" || Number.isNaN(Date.parse(value.recordedAt))) {
    problems.push("recordedAt must be an ISO-8601 time");
  }
  if (typeof value.target !== "string" || value.target === "") problems.push("target must be a non-empty string");
  if (typeof value.operationId !== "string") problems.push("operationId must be a string");
  const request = value.request;
  if (!isRecord(request) || typeof request.method !== "string" || typeof request.path !== "string") {
    problems.push("request must have method and path strings");
  } else if (!isStringMap(request.headers)) {
    problems.push("request.headers must map names to strings");
  } else if (!("body" in request)) {
    problems.push("request.body must be present (null when there is none)");
  }
  const response = value.response;
  if (!isRecord(response) || typeof response.status !== "number" || !Number.isInteger(response.status)) {
    problems.push("response must have an integer status");
  } else if (!isStringMap(response.headers)) {
    problems.push("response.headers must map names to strings");
  } else if (!("body" in response)) {
    problems.push("response.body must be present");
  }
  for (const part of [request, response]) {
    if (!isRecord(part) || !isRecord(part.headers)) continue;
    for (const [name, headerValue] of Object.entries(part.headers)) {
      if (SECRET_HEADERS.test(name) || /bearer\s/i.test(String(headerValue))) {
        problems.push(`a credential header was kept: ${name}`);
      }
    }
  }
  return problems;
}

/** Reads every `*.json` recording of a directory, sorted by name. */
export async function readRecordings(dir: string): Promise<{ file: string; value: unknown }[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch {
    return [];
  }
  return Promise.all(
    names.map(async (name) => {
      const text = await readFile(join(dir, name), "utf8");
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
      return { file: name, value };
    }),
  );
}
