/**
 * The mock's task lifecycle, free of HTTP: tasks, their simulated timeline on an injected clock, a seeded random
 * source, and the spec-shaped bodies a task reads as at any moment. The Hono server and the MSW handlers share it.
 */
import { operations } from "../../generated/operations.js";
import type { components } from "../../generated/schema.js";
import { TASK_ID_PREFIX } from "../../generated/spec-facts.js";
import { type Clock, MockClock, systemClock } from "./clock.js";
import { LIFECYCLE_SCENARIOS, type ScenarioName } from "./scenarios.js";

export { type Clock, systemClock } from "./clock.js";

/** The create request body, as the spec types it. */
export type VideoGenerationRequest = components["schemas"]["VideoGenerationRequest"];
/** The create response body. */
export type VideoGenerationResponse = components["schemas"]["VideoGenerationResponse"];
/** A task as `GET /v1/tasks/{task_id}` returns it and as callbacks carry it. */
export type TaskDetail = components["schemas"]["TaskDetail"];
/** A failed task's reason. */
export type TaskFailure = components["schemas"]["TaskFailure"];

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
  /** How long a result link stays valid after the task completes, in wall-clock ms. @default {@link DEFAULT_RESULT_TTL_MS} */
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
  /** An end forced by a control (`complete`, `fail`): it replaces the simulated one. */
  ended?: ForcedEnd;
  /** A result expiry forced by the `expire` control (clock ms). */
  expiredAt?: number;
}

/** An end a control forced on a task. */
export interface ForcedEnd {
  /** Clock time (ms) of the end. */
  at: number;
  status: "completed" | "failed";
  /** The progress the task reports from then on. */
  progress: number;
  /** A failed task's reason. */
  error?: TaskFailure;
}

/**
 * A control the task's life does not allow: `status` 404 for an unknown task, 409 for a transition the spec's
 * lifecycle forbids (leaving a terminal state, progress going back), 400 for a bad value.
 */
export class TransitionError extends Error {
  override name = "TransitionError";
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
  ) {
    super(message);
  }
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
  /** The clock every task's timeline reads: the injected one until its controls (pause, advance, speed) are used. */
  readonly clock: MockClock;
  /** The seed in use (print it so a run can be replayed). */
  readonly seed: number;
  /** The speed the engine started with: task durations are drawn at it, and the clock's rate scales them. */
  readonly startSpeed: number;
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
    this.clock = new MockClock(options.clock ?? systemClock);
    this.seed = options.seed ?? randomSeed();
    this.startSpeed = options.speed ?? DEFAULT_SPEED;
    if (!(this.startSpeed > 0) || !Number.isFinite(this.startSpeed))
      throw new RangeError(`speed must be > 0 (got ${this.startSpeed})`);
    this.resultTtlMs = options.resultTtlMs ?? DEFAULT_RESULT_TTL_MS;
    if (!(this.resultTtlMs >= 0)) throw new RangeError(`resultTtlMs must be >= 0 (got ${this.resultTtlMs})`);
    this.baseUrl = (options.baseUrl ?? "http://127.0.0.1:4010").replace(/\/+$/, "");
    this.#rng = createRng(this.seed);
    this.#faultRng = createRng(this.seed ^ 0x5eed);
  }

  /** Simulated seconds per wall-clock second, now. */
  get speed(): number {
    return this.startSpeed * this.clock.rate;
  }

  /** Changes the speed of every task, running or not, from now on (the clock runs faster or slower). */
  setSpeed(speed: number): void {
    if (!(speed > 0) || !Number.isFinite(speed)) throw new TransitionError(`speed must be > 0 (got ${speed})`, 400);
    this.clock.setRate(speed / this.startSpeed);
  }

  /**
   * Forgets every task and counter and restarts the random sequences from the seed; the clock runs again at the
   * starting speed (its time never goes back).
   */
  reset(): void {
    this.clock.resume();
    this.clock.setRate(1);
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
    let id = `${TASK_ID_PREFIX}${Math.floor(now / 1000)}-${suffix}`;
    while (this.#tasks.has(id)) id = `${TASK_ID_PREFIX}${Math.floor(now / 1000)}-${this.#randomId()}`;
    const task: MockTask = {
      id,
      request,
      scenario: lifecycle,
      createdAt: now,
      videoDuration,
      pendingMs: (pendingS * factor * 1000) / this.startSpeed,
      processingMs: (processingS * factor * 1000) / this.startSpeed,
      failAt: lifecycle === "fails" ? failDraw : null,
      latestSeen: now,
    };
    this.#tasks.set(id, task);
    return task;
  }

  /** Clock time (ms) at which the task reaches its final state. */
  terminalAt(task: MockTask): number {
    return task.ended?.at ?? task.createdAt + task.pendingMs + task.processingMs * (task.failAt ?? 1);
  }

  /** The task's whole simulated duration in wall-clock seconds at this engine's speed: the honest `estimated_time`. */
  estimatedSeconds(task: MockTask): number {
    const ms = task.pendingMs + task.processingMs * (task.failAt ?? 1);
    return Math.max(1, Math.ceil(ms / 1000 / this.clock.rate));
  }

  /** The task's status and progress now. Progress never decreases, even if the clock steps back. */
  phase(task: MockTask): TaskPhase {
    const now = this.#seen(task);
    if (task.ended && now >= task.ended.at) return { status: task.ended.status, progress: task.ended.progress };
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
    return task.expiredAt ?? this.terminalAt(task) + (task.scenario === "expired-result" ? 0 : this.resultTtlMs);
  }

  /** Ends a running task now as `completed`, as if its processing had finished. */
  complete(id: string): MockTask {
    const task = this.#running(id, "complete");
    task.ended = { at: this.#seen(task), status: "completed", progress: 100 };
    return task;
  }

  /**
   * Ends a running task now as `failed` with `error` (a business code and message; the spec's example by default),
   * keeping the progress it had reached.
   */
  fail(id: string, error: Partial<TaskFailure> = {}): MockTask {
    const task = this.#running(id, "fail");
    const { progress } = this.phase(task);
    for (const key of ["code", "message"] as const) {
      if (error[key] !== undefined && (typeof error[key] !== "string" || error[key] === "")) {
        throw new TransitionError(`fail: ${key} must be a non-empty string`, 400);
      }
    }
    task.ended = {
      at: this.#seen(task),
      status: "failed",
      progress,
      error: { code: error.code ?? failedExample.error.code, message: error.message ?? failedExample.error.message },
    };
    return task;
  }

  /** Makes a completed task's result link expire now (the download answers 410). */
  expire(id: string): MockTask {
    const task = this.#known(id);
    const { status } = this.phase(task);
    if (status !== "completed") {
      throw new TransitionError(`expire: task ${id} is ${status}; only a completed task has a result link`, 409);
    }
    task.expiredAt = Math.min(this.resultExpiresAt(task), this.#seen(task));
    return task;
  }

  /**
   * Moves a running task to `processing` at `progress` (1 to 99) now; it goes on from there at its pace. Progress
   * never goes back, as in the API.
   */
  setProgress(id: string, progress: number): MockTask {
    if (!Number.isInteger(progress) || progress < 1 || progress > 99) {
      throw new TransitionError(
        `progress must be an integer from 1 to 99 (got ${progress}); use complete to end the task`,
        400,
      );
    }
    const task = this.#running(id, "progress");
    const current = this.phase(task).progress;
    if (progress < current) {
      throw new TransitionError(`progress: task ${id} is at ${current}; progress never goes back`, 409);
    }
    // Half a percent past the value, so the floor() of the computed progress reads exactly `progress`.
    const fraction = (progress + 0.5) / 100;
    task.pendingMs = this.#seen(task) - task.createdAt - task.processingMs * fraction;
    if (task.failAt !== null && task.failAt <= fraction) task.failAt = Math.min(0.995, (fraction + 1) / 2);
    return task;
  }

  #known(id: string): MockTask {
    const task = this.#tasks.get(id);
    if (!task) throw new TransitionError(`no task ${id}`, 404);
    return task;
  }

  /** The task, if it has not reached a final state (the spec's lifecycle has no way back from one). */
  #running(id: string, control: string): MockTask {
    const task = this.#known(id);
    const { status } = this.phase(task);
    if (status === "completed" || status === "failed") {
      throw new TransitionError(`${control}: task ${id} is already ${status}, a final state`, 409);
    }
    return task;
  }

  /** The clock time for this task, never earlier than a time it has already shown. */
  #seen(task: MockTask): number {
    task.latestSeen = Math.max(task.latestSeen, this.clock.now());
    return task.latestSeen;
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
        return { ...base, error: { ...(task.ended?.error ?? failedExample.error) }, task_info: { can_cancel: false } };
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
