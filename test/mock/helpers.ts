/** Shared helpers of the mock's tests: spec validation of bodies, and request shortcuts. */
import { expect } from "vitest";
import { operations } from "../../generated/operations.js";
import type { Validator } from "../../generated/validators.js";
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
