/**
 * The mock's task lifecycle, free of HTTP: tasks, their simulated timeline on an injected clock, a seeded random
 * source, and the spec-shaped bodies a task reads as at any moment. The Hono server and the MSW handlers share it.
 */
import { operations } from "../../generated/operations.js";
import type { components } from "../../generated/schema.js";
import { LIFECYCLE_SCENARIOS, type ScenarioName } from "./scenarios.js";

/** The create request body, as the spec types it. */
export type VideoGenerationRequest = components["schemas"]["VideoGenerationRequest"];
/** The create response body. */
export type VideoGenerationResponse = components["schemas"]["VideoGenerationResponse"];
/** A task as `GET /v1/tasks/{task_id}` returns it and as callbacks carry it. */
export type TaskDetail = components["schemas"]["TaskDetail"];
/** A failed task's reason. */
export type TaskFailure = components["schemas"]["TaskFailure"];

/** A source of the current time in milliseconds; tests inject a fake one. */
export interface Clock {
  /** Milliseconds since the epoch (or any monotonic origin the engine's tasks share). */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** Default `speed`: simulated seconds per wall-clock second (a 300 s task takes 30 s). */
export const DEFAULT_SPEED = 10;
/** Default result link lifetime: the real API keeps links 24 hours. */
export const DEFAULT_RESULT_TTL_MS = 24 * 60 * 60 * 1000;
/** Where the mock serves result files, under its base URL. */
export const RESULT_PATH_PREFIX = "/__mock/results/";
/** How much longer a `slow` task takes than a `happy` one. */
export const SLOW_FACTOR = 5;

/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every platform.
 * Returns numbers in [0, 1).
 */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for runs that did not choose one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}

/** The engine's options. */
export interface EngineOptions {
  /** Time source. @default systemClock */
  clock?: Clock;
  /** Seed of every random choice (ids, durations, failure points, flaky answers). @default a random seed */
  seed?: number;
  /** Simulated seconds per wall-clock second; 100 runs a 300 s task in 3 s. @default DEFAULT_SPEED (10) */
  speed?: number;
  /** How long a result link stays valid after the task completes, in wall-clock ms. @default 24 h */
  resultTtlMs?: number;
  /** Base URL the result links point at (the mock's own). @default "http://127.0.0.1:4010" */
  baseUrl?: string;
}

/** A task the engine holds: its request, lifecycle scenario and simulated timeline (wall-clock ms). */
export interface MockTask {
  /** `task-unified-<unix seconds>-<8 chars>`. */
  id: string;
  /** The validated request that created it. */
  request: VideoGenerationRequest;
  /** The lifecycle it follows (`happy`, `slow`, `fails` or `expired-result`). */
  scenario: ScenarioName;
  /** Clock time of creation (ms). */
  createdAt: number;
  /** Simulated source video length in seconds (3 to 10, as the spec allows). */
  videoDuration: number;
  /** Wall-clock ms spent pending. */
  pendingMs: number;
  /** Wall-clock ms spent processing before completing. */
  processingMs: number;
  /** For a failing task: the fraction of processing after which it fails; otherwise null. */
  failAt: number | null;
  /** The latest clock time observed, so a clock stepping back never moves a task backwards. */
  latestSeen: number;
}

/** A task's state at one moment. */
export interface TaskPhase {
  status: TaskDetail["status"];
  progress: number;
}

/** Whether a result file can be served now. */
export type ResultState =
  | { kind: "missing" }
  | { kind: "not-ready"; status: TaskDetail["status"] }
  | { kind: "expired"; expiredAt: number }
  | { kind: "ready"; expiresAt: number };

const failedExample = operations.getTaskDetail.responses["200"].body.examples.video_failed;
const createdExample = operations.createVideoGeneration.responses["200"].body.example;
const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * The stateful core: creates tasks and says what each reads as at the clock's current time. Time is computed, not
 * ticked, so a fake clock drives it completely.
 */
export class MockEngine {
  /** The clock every task's timeline reads. */
  readonly clock: Clock;
  /** The seed in use (print it so a run can be replayed). */
  readonly seed: number;
  /** Simulated seconds per wall-clock second. */
  readonly speed: number;
  /** Result link lifetime in ms. */
  readonly resultTtlMs: number;
  /** Base URL of result links; the server sets it once it knows its port. */
  baseUrl: string;
  /** Every create request received, whatever its outcome (so tests can prove no duplicate paid task). */
  createRequests = 0;
  #tasks = new Map<string, MockTask>();
  #rng: () => number;
  #faultRng: () => number;
  #faultRun = 0;

  constructor(options: EngineOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.seed = options.seed ?? randomSeed();
    this.speed = options.speed ?? DEFAULT_SPEED;
    if (!(this.speed > 0) || !Number.isFinite(this.speed))
      throw new RangeError(`speed must be > 0 (got ${this.speed})`);
    this.resultTtlMs = options.resultTtlMs ?? DEFAULT_RESULT_TTL_MS;
    if (!(this.resultTtlMs >= 0)) throw new RangeError(`resultTtlMs must be >= 0 (got ${this.resultTtlMs})`);
    this.baseUrl = (options.baseUrl ?? "http://127.0.0.1:4010").replace(/\/+$/, "");
    this.#rng = createRng(this.seed);
    this.#faultRng = createRng(this.seed ^ 0x5eed);
  }

  /** Forgets every task and counter and restarts the random sequences from the seed. */
  reset(): void {
    this.#tasks.clear();
    this.createRequests = 0;
    this.#rng = createRng(this.seed);
    this.#faultRng = createRng(this.seed ^ 0x5eed);
    this.#faultRun = 0;
  }

  /** Every task, oldest first. */
  tasks(): MockTask[] {
    return [...this.#tasks.values()];
  }

  /** The task with this id, if the engine holds it. */
  get(id: string): MockTask | undefined {
    return this.#tasks.get(id);
  }

  /**
   * Creates a task from a validated request. `scenario` picks its lifecycle; a fault scenario (the response is lost,
   * not the task) gives a happy one.
   */
  create(request: VideoGenerationRequest, scenario: ScenarioName = "happy"): MockTask {
    const now = this.clock.now();
    // Always draw the same number of values, so ids and timings do not depend on the scenario mix.
    const suffix = this.#randomId();
    const pendingS = 2 + this.#rng() * 4;
    const videoDuration = 3 + Math.floor(this.#rng() * 8);
    const processingS = videoDuration * (15 + this.#rng() * 10);
    const failDraw = 0.1 + this.#rng() * 0.6;
    const lifecycle = LIFECYCLE_SCENARIOS.includes(scenario) ? scenario : "happy";
    const factor = lifecycle === "slow" ? SLOW_FACTOR : 1;
    let id = `task-unified-${Math.floor(now / 1000)}-${suffix}`;
    while (this.#tasks.has(id)) id = `task-unified-${Math.floor(now / 1000)}-${this.#randomId()}`;
    const task: MockTask = {
      id,
      request,
      scenario: lifecycle,
      createdAt: now,
      videoDuration,
      pendingMs: (pendingS * factor * 1000) / this.speed,
      processingMs: (processingS * factor * 1000) / this.speed,
      failAt: lifecycle === "fails" ? failDraw : null,
      latestSeen: now,
    };
    this.#tasks.set(id, task);
    return task;
  }

  /** Clock time (ms) at which the task reaches its final state. */
  terminalAt(task: MockTask): number {
    return task.createdAt + task.pendingMs + task.processingMs * (task.failAt ?? 1);
  }

  /** The task's whole simulated duration in wall-clock seconds at this engine's speed: the honest `estimated_time`. */
  estimatedSeconds(task: MockTask): number {
    return Math.max(1, Math.ceil((task.pendingMs + task.processingMs * (task.failAt ?? 1)) / 1000));
  }

  /** The task's status and progress now. Progress never decreases, even if the clock steps back. */
  phase(task: MockTask): TaskPhase {
    const now = Math.max(task.latestSeen, this.clock.now());
    task.latestSeen = now;
    // Compare clock times computed the same way as terminalAt(), so "done at terminalAt" holds exactly.
    if (now < task.createdAt + task.pendingMs) return { status: "pending", progress: 0 };
    if (now >= this.terminalAt(task)) {
      return task.failAt === null
        ? { status: "completed", progress: 100 }
        : { status: "failed", progress: clamp(Math.floor(task.failAt * 100), 1, 99) };
    }
    const fraction = (now - task.createdAt - task.pendingMs) / task.processingMs;
    return { status: "processing", progress: clamp(Math.floor(fraction * 100), 1, 99) };
  }

  /** The URL of the task's result file, served by the mock itself under `baseUrl` (default: the engine's). */
  resultUrl(task: MockTask, baseUrl: string = this.baseUrl): string {
    return `${baseUrl}${RESULT_PATH_PREFIX}${task.id}.mp4`;
  }

  /** Clock time (ms) after which the result link no longer works. `expired-result` tasks expire on completion. */
  resultExpiresAt(task: MockTask): number {
    return this.terminalAt(task) + (task.scenario === "expired-result" ? 0 : this.resultTtlMs);
  }

  /** The create response for a new task (the spec's `VideoGenerationResponse`). */
  createdBody(task: MockTask): VideoGenerationResponse {
    return {
      created: Math.floor(task.createdAt / 1000),
      id: task.id,
      model: task.request.model,
      object: "video.generation.task",
      progress: 0,
      status: "pending",
      task_info: { can_cancel: true, estimated_time: this.estimatedSeconds(task), video_duration: task.videoDuration },
      type: "video",
      usage: { ...createdExample.usage },
    };
  }

  /**
   * The task as `GET /v1/tasks/{task_id}` returns it now (the spec's `TaskDetail`): `results` once completed, `error`
   * once failed, `estimated_time` while it runs. `baseUrl` overrides the engine's for the result link.
   */
  detail(task: MockTask, baseUrl: string = this.baseUrl): TaskDetail {
    const { status, progress } = this.phase(task);
    const base = {
      created: Math.floor(task.createdAt / 1000),
      id: task.id,
      model: task.request.model,
      object: "video.generation.task" as const,
      progress,
      status,
      type: "video" as const,
    };
    switch (status) {
      case "pending":
      case "processing":
        return {
          ...base,
          task_info: {
            can_cancel: status === "pending",
            estimated_time: this.estimatedSeconds(task),
            video_duration: task.videoDuration,
          },
        };
      case "completed":
        return { ...base, results: [this.resultUrl(task, baseUrl)], task_info: { can_cancel: false } };
      case "failed":
        return { ...base, error: { ...failedExample.error }, task_info: { can_cancel: false } };
    }
  }

  /** Whether the result file of task `id` can be served now, and until when. */
  resultState(id: string): ResultState {
    const task = this.#tasks.get(id);
    if (!task) return { kind: "missing" };
    const { status } = this.phase(task);
    if (status !== "completed") return { kind: "not-ready", status };
    const expiresAt = this.resultExpiresAt(task);
    return this.clock.now() >= expiresAt ? { kind: "expired", expiredAt: expiresAt } : { kind: "ready", expiresAt };
  }

  /**
   * The `flaky` scenario's draw for one request: 502, 503 or null (answer normally). About a third fail, never more
   * than two in a row, so a client retrying twice always gets through; the sequence follows the seed.
   */
  flakyStatus(): 502 | 503 | null {
    const draw = this.#faultRng();
    if (this.#faultRun >= 2 || draw >= 1 / 3) {
      this.#faultRun = 0;
      return null;
    }
    this.#faultRun += 1;
    return draw < 1 / 6 ? 502 : 503;
  }

  #randomId(): string {
    let out = "";
    for (let i = 0; i < 8; i++) out += ID_ALPHABET[Math.floor(this.#rng() * ID_ALPHABET.length)];
    return out;
  }
}
