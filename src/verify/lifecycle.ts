/**
 * Lifecycle checks over what polling one task showed: the status order the spec allows (pending -> processing ->
 * completed | failed; polling may skip a state, never go back), progress never decreasing, a terminal state never
 * changing, the task id staying the one created, results present exactly when completed, a failed task carrying a
 * reason, and a completed task's result being a video.
 */
import { TASK_STATUS_VALUES } from "../../generated/spec-facts.js";
import type { CheckName } from "./catalog.js";
import { attach, type Exchange, type Headers, type Violation } from "./types.js";

const RANK: Readonly<Record<string, number>> = { pending: 0, processing: 1, completed: 2, failed: 2 };

/** Statuses after which a task never changes. */
export const TERMINAL_STATUSES: readonly string[] = TASK_STATUS_VALUES.filter(
  (s) => s === "completed" || s === "failed",
);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The task body of a 200 exchange (create or query), or `undefined`. */
export function taskOf(exchange: Exchange): Record<string, unknown> | undefined {
  if (exchange.response.status !== 200 || !isRecord(exchange.response.body)) return undefined;
  return typeof exchange.response.body.status === "string" ? exchange.response.body : undefined;
}

/** Whether a task body is in a terminal state. */
export function isTerminal(task: Record<string, unknown> | undefined): boolean {
  return typeof task?.status === "string" && TERMINAL_STATUSES.includes(task.status);
}

/**
 * Checks the sequence of exchanges seen while following one task (the create response first, then each poll, in
 * order). Exchanges that are not a 200 with a task body (a 503 between polls) are skipped: the per-exchange checks
 * judge those.
 */
export function checkLifecycle(exchanges: readonly Exchange[], taskId: string): Violation[] {
  const out: Violation[] = [];
  let previous: { task: Record<string, unknown>; index: number } | undefined;
  let terminal: Record<string, unknown> | undefined;
  exchanges.forEach((exchange, index) => {
    const task = taskOf(exchange);
    if (!task) return;
    const at = (check: CheckName, pointer: string, rule: string, message: string) =>
      out.push(
        ...attach(exchange, [
          { check, operation: exchange.operationId, status: 200, pointer, rule, message: `poll ${index}: ${message}` },
        ]),
      );
    if (task.id !== taskId) {
      at("task-visible", "/body/id", "lifecycle:id", `is ${JSON.stringify(task.id)}, the task is ${taskId}`);
    }
    const status = String(task.status);
    if (terminal) {
      if (status !== terminal.status) {
        at("terminal-sticky", "/body/status", "lifecycle:terminal-changed", `was ${terminal.status}, now ${status}`);
      } else if (JSON.stringify(task.error ?? null) !== JSON.stringify(terminal.error ?? null)) {
        const message = "the failure reason changed after the task failed";
        at("terminal-sticky", "/body/error", "lifecycle:terminal-changed", message);
      } else if (resultCount(task) !== resultCount(terminal)) {
        const message = "the number of results changed after completion";
        at("terminal-sticky", "/body/results", "lifecycle:terminal-changed", message);
      }
    } else if (previous) {
      const from = String(previous.task.status);
      if ((RANK[status] ?? -1) < (RANK[from] ?? -1)) {
        at("status-order", "/body/status", "lifecycle:transition", `went back from ${from} to ${status}`);
      }
    }
    if (previous && typeof task.progress === "number" && typeof previous.task.progress === "number") {
      if (task.progress < previous.task.progress) {
        const message = `went down from ${previous.task.progress} to ${task.progress}`;
        at("progress-monotonic", "/body/progress", "lifecycle:progress", message);
      }
    }
    if (status === "completed" && resultCount(task) === 0) {
      at("result-url", "/body/results", "result:missing", "a completed task must list its results");
    } else if (status !== "completed" && resultCount(task) > 0) {
      at("result-url", "/body/results", "result:early", `a ${status} task lists results: only a completed one may`);
    }
    if (status === "failed") {
      const error = isRecord(task.error) ? task.error : undefined;
      if (!error || typeof error.message !== "string" || error.message.trim() === "") {
        const message = "a failed task must say why (error.message)";
        at("failure-reason", "/body/error/message", "lifecycle:failure-reason", message);
      }
      if (!error || (typeof error.code !== "string" && typeof error.code !== "number") || error.code === "") {
        const message = "a failed task must name its failure (error.code)";
        at("failure-reason", "/body/error/code", "lifecycle:failure-code", message);
      }
    }
    if (!terminal && isTerminal(task)) terminal = task;
    previous = { task, index };
  });
  return out;
}

function resultCount(task: Record<string, unknown>): number {
  return Array.isArray(task.results) ? task.results.length : 0;
}

/** What downloading a result URL gave. */
export interface ResultDownload {
  /** The result URL. */
  url: string;
  /** HTTP status, or `null` when the request failed (the message is in `error`). */
  status: number | null;
  headers: Headers;
  /** The first bytes of the body (a few hundred are enough to recognise a video container). */
  head: Uint8Array;
  /** A transport error's message. */
  error?: string;
}

/** ISO base media (MP4, MOV) top-level box types that may open a file. */
const OPENING_BOXES = new Set(["ftyp", "moov", "mdat", "free", "skip", "wide", "pnot"]);

/** Whether bytes open like an MP4/QuickTime file (the seed's `.mp4` and `.mov`), or WebM/Matroska. */
export function looksLikeVideo(head: Uint8Array): boolean {
  if (head.length >= 8) {
    const box = String.fromCharCode(head[4] ?? 0, head[5] ?? 0, head[6] ?? 0, head[7] ?? 0);
    if (OPENING_BOXES.has(box)) return true;
  }
  return head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3;
}

/** Checks a completed task's result download: 200, a video content type, and bytes that open like a video. */
export function checkResultDownload(operationId: string, download: ResultDownload): Violation[] {
  const base = { check: "result-url" as const, operation: operationId, status: 200, pointer: "/body/results/0" };
  if (download.status === null) {
    return [{ ...base, rule: "result:download", message: `${download.url} could not be fetched: ${download.error}` }];
  }
  if (download.status !== 200) {
    return [{ ...base, rule: "result:download", message: `${download.url} answered ${download.status}, not 200` }];
  }
  const out: Violation[] = [];
  const type = (download.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (!type.startsWith("video/") && type !== "application/octet-stream") {
    out.push({ ...base, rule: "result:content-type", message: `${download.url} is ${type || "untyped"}, not video/*` });
  }
  if (!looksLikeVideo(download.head)) {
    out.push({
      ...base,
      rule: "result:not-video",
      message: `${download.url} does not start like an MP4/MOV/WebM file`,
    });
  }
  return out;
}
