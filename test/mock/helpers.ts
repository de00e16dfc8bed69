/** Shared helpers of the mock's tests: spec validation of bodies, and request shortcuts. */
import { expect } from "vitest";
import { operations } from "../../generated/operations.js";
import { type SchemaName, type Validator, validators } from "../../generated/validators.js";
import type { VideoGenerationRequest } from "../../src/mock/engine.js";

/** Asserts that `body` is valid against a generated validator, showing ajv's reasons when not. */
export function expectValid<T>(validator: Validator<T>, body: unknown): asserts body is T {
  const ok = validator(body);
  expect(ok ? [] : validator.errors).toEqual([]);
}

const example = operations.createVideoGeneration.requestBody.examples.video_edit;
/** A valid create request: the spec's own example. */
export const EXAMPLE_REQUEST: VideoGenerationRequest = { ...example, video_urls: [...example.video_urls] };

/** Headers of an authenticated JSON request, plus any extra ones. */
export function headers(extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: "Bearer test-key", "content-type": "application/json", ...extra };
}

/** A clock the test moves by hand. */
export class FakeClock {
  constructor(public ms = 1_757_169_743_000) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

type OperationId = keyof typeof operations;

/**
 * Asserts that a response is one the spec documents for the operation: a documented status, its content type, and a
 * body valid against that status's schema. Returns the parsed body.
 */
export async function expectSpecResponse(operationId: OperationId, res: Response): Promise<unknown> {
  const responses = operations[operationId].responses as Record<
    string,
    { body?: { contentType: string; schema: string } }
  >;
  const documented = responses[String(res.status)];
  expect(documented, `${operationId} does not document ${res.status}`).toBeDefined();
  expect(res.headers.get("content-type")).toBe(documented?.body?.contentType);
  const body = await res.json();
  const validator = validators[documented?.body?.schema as SchemaName];
  expectValid(validator as Validator<unknown>, body);
  return body;
}
