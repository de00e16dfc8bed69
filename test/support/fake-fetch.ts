/** A scripted fetch for unit tests: each call takes the next step (the last one repeats) and is recorded. */

/** One scripted answer: a response, a thrown error, a hang (until the request's signal aborts), or a function. */
export type Step = Response | Error | "hang" | ((request: Request) => Response | Error | Promise<Response | Error>);

export interface ScriptedFetch {
  fetch: typeof fetch;
  requests: Request[];
  /** The JSON bodies sent, in order (`undefined` for requests without a body). */
  bodies: unknown[];
}

export function scriptedFetch(...steps: Step[]): ScriptedFetch {
  const requests: Request[] = [];
  const bodies: unknown[] = [];
  const fn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    requests.push(request);
    const text = request.body ? await request.clone().text() : "";
    bodies.push(text ? JSON.parse(text) : undefined);
    if (request.signal.aborted) throw request.signal.reason;
    const step = steps[Math.min(requests.length - 1, steps.length - 1)];
    if (typeof step === "function") {
      const answer = await step(request);
      if (answer instanceof Error) throw answer;
      return answer;
    }
    if (step === "hang" || step === undefined) {
      return new Promise((_resolve, reject) => {
        request.signal.addEventListener("abort", () => reject(request.signal.reason), { once: true });
      });
    }
    if (step instanceof Error) throw step;
    return step.clone();
  };
  return { fetch: fn as typeof fetch, requests, bodies };
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** The API's error envelope. */
export function apiError(status: number, type: string, extra: Record<string, unknown> = {}, headers = {}): Response {
  return json(status, { error: { code: status, message: `message ${status}`, type, ...extra } }, headers);
}

/** A network failure the way Node's fetch reports it: TypeError("fetch failed") with a coded cause. */
export function networkError(code: string): Error {
  return new TypeError("fetch failed", { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

export const TASK_ID = "task-unified-1757169743-7cvnl5zw";

export const created = {
  created: 1757169743,
  id: TASK_ID,
  model: "kling-o1-video-edit",
  object: "video.generation.task",
  progress: 0,
  status: "pending",
  task_info: { can_cancel: true, estimated_time: 300, video_duration: 9 },
  type: "video",
} as const;

export function taskDetail(status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    created: 1757169743,
    id: TASK_ID,
    model: "kling-o1-video-edit",
    object: "video.generation.task",
    progress: status === "completed" ? 100 : 0,
    status,
    task_info: { can_cancel: false },
    type: "video",
    ...(status === "completed" ? { results: [`https://cdn.example.com/results/${TASK_ID}.mp4`] } : {}),
    ...(status === "failed"
      ? { error: { code: "video_download_failed", message: "The source video could not be downloaded" } }
      : {}),
    ...extra,
  };
}

export const params = {
  prompt: "Make the video more cinematic",
  video_urls: ["https://example.com/original-video.mp4"],
};

/** A logger that records every line. */
export function recordingLogger() {
  const lines: { level: string; message: string; details?: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, details?: Record<string, unknown>): void => {
      lines.push(details === undefined ? { level, message } : { level, message, details });
    };
  return { lines, logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}
