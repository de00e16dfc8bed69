/**
 * Replaying recorded traffic: the contract suite's `--record` files (one exchange per JSON file:
 * `{ recordedAt, target, operationId, request: { method, path, headers, body }, response: { status, headers, body } }`)
 * answer the requests that match them, in the order they were recorded; the simulation answers the rest.
 */
import type { MockReply } from "./reply.js";

/** One recorded exchange, as the contract suite writes it. */
export interface Recording {
  /** Where it came from (a file name), for the page and the request log. */
  file: string;
  /** ISO-8601 time of the exchange: replay follows this order. */
  recordedAt: string;
  request: { method: string; path: string; headers: Record<string, string>; body: unknown };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

/** A request, as replay matches it. */
export interface ReplayRequest {
  method: string;
  /** Path and query, e.g. `/v1/tasks/task-unified-1`. */
  path: string;
  /** The body's text (`""` when there is none). */
  bodyText: string;
  /** Whether it carries an `Authorization` header (recordings never keep its value). */
  authorized: boolean;
}

/**
 * Headers a replay does not repeat: they describe the recorded connection or encoding, not the answer (the body is
 * stored decoded), or they are the mock's own business (CORS).
 */
const CONNECTION_HEADERS =
  /^(connection|keep-alive|transfer-encoding|content-length|content-encoding|date|server|access-control-.*|vary|alt-svc|via)$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === "string");
}

/** Reads one parsed file as a recording; returns why not when it is not one. */
export function parseRecording(value: unknown, file: string): Recording | string {
  if (!isRecord(value)) return `${file}: not a JSON object`;
  const { recordedAt, request, response } = value;
  if (typeof recordedAt !== "string" || Number.isNaN(Date.parse(recordedAt))) {
    return `${file}: recordedAt must be an ISO-8601 time`;
  }
  if (!isRecord(request) || typeof request.method !== "string" || typeof request.path !== "string") {
    return `${file}: request must have method and path strings`;
  }
  if (!isRecord(response) || !Number.isInteger(response.status) || !isStringMap(response.headers)) {
    return `${file}: response must have an integer status and string headers`;
  }
  const status = response.status as number;
  if (status < 200 || status > 599) return `${file}: response status ${status} cannot be replayed`;
  return {
    file,
    recordedAt,
    request: {
      method: request.method.toUpperCase(),
      path: request.path,
      headers: isStringMap(request.headers) ? request.headers : {},
      body: request.body ?? null,
    },
    response: { status, headers: response.headers, body: response.body ?? "" },
  };
}

/** JSON with sorted keys, so two bodies compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function bodyKey(bodyText: string): string {
  if (bodyText === "") return "null";
  try {
    return canonical(JSON.parse(bodyText));
  } catch {
    return JSON.stringify(bodyText);
  }
}

/** The reply a recording gives: its status, the headers that describe the answer, and its body. */
export function recordedReply(recording: Recording): MockReply {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(recording.response.headers)) {
    if (!CONNECTION_HEADERS.test(name)) headers[name.toLowerCase()] = value;
  }
  const { status, body } = recording.response;
  if (typeof body === "string") return { kind: "raw", status, text: body, headers };
  return { kind: "json", status, body, headers };
}

/**
 * Answers requests from recordings. A request matches a recording with the same method and path (query included);
 * when the recording has a request body, the body must be the same JSON too; a recorded 401 matches only a request
 * without `Authorization`. Recordings are used once each, in recorded order; once a `GET`'s recordings are used up,
 * its last one answers again (a task stays as it was last seen), while other methods fall back to the simulation.
 */
export class Replayer {
  readonly #recordings: Recording[];
  readonly #used = new Set<Recording>();
  readonly #last = new Map<string, Recording>();

  constructor(recordings: readonly Recording[]) {
    this.#recordings = [...recordings].sort(
      (a, b) => Date.parse(a.recordedAt) - Date.parse(b.recordedAt) || a.file.localeCompare(b.file),
    );
  }

  /** How many recordings there are, and how many have answered. */
  get size(): number {
    return this.#recordings.length;
  }

  /** How many recordings have answered a request. */
  get used(): number {
    return this.#used.size;
  }

  /** The recording that answers `request`, if one does. */
  take(request: ReplayRequest): Recording | undefined {
    const method = request.method.toUpperCase();
    const key = `${method} ${request.path}`;
    let body: string | undefined;
    const match = this.#recordings.find((r) => {
      if (this.#used.has(r) || r.request.method !== method || r.request.path !== request.path) return false;
      if (r.response.status === 401 && request.authorized) return false;
      if (r.request.body === null) return true;
      body ??= bodyKey(request.bodyText);
      return canonical(r.request.body) === body;
    });
    if (match) {
      this.#used.add(match);
      this.#last.set(key, match);
      return match;
    }
    const last = method === "GET" ? this.#last.get(key) : undefined;
    return last && !(last.response.status === 401 && request.authorized) ? last : undefined;
  }

  /** Starts over: every recording answers again. */
  reset(): void {
    this.#used.clear();
    this.#last.clear();
  }
}
