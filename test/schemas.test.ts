/**
 * src/schemas.ts, what a client loads on its first call: the create body as sent (model defaulted, every rule
 * checked before anything leaves) and the spec's response validators.
 */
import { describe, expect, it } from "vitest";
import { validateTaskDetail } from "../generated/validators/TaskDetail.js";
import { validateVideoGenerationResponse } from "../generated/validators/VideoGenerationResponse.js";
import { RequestValidationError } from "../src/errors.js";
import * as schemas from "../src/schemas.js";
import { DEFAULT_MODEL } from "../src/spec-facts.js";
import { params } from "./support/fake-fetch.js";

describe("createBody", () => {
  it("defaults the model and keeps the rest", () => {
    expect(schemas.createBody(params)).toEqual({ ...params, model: DEFAULT_MODEL });
    expect(schemas.createBody({ ...params, model: "kling-o1" }).model).toBe("kling-o1");
  });

  it("throws RequestValidationError naming every broken rule", () => {
    let thrown: unknown;
    try {
      schemas.createBody({ ...params, prompt: "", video_urls: [] });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RequestValidationError);
    const fields = (thrown as RequestValidationError).violations.map((v) => v.field).sort();
    expect(fields).toEqual(["prompt", "video_urls"]);
  });
});

describe("the validators", () => {
  it("are the generated ones, not copies", () => {
    expect(schemas.validateTaskDetail).toBe(validateTaskDetail);
    expect(schemas.validateVideoGenerationResponse).toBe(validateVideoGenerationResponse);
  });
});
