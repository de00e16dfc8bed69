/**
 * Broken create requests, one per request rule: each is the spec's own request example with one thing broken. The
 * rule each breaks is not asserted here by hand: {@link brokenRule} asks `src/rules.ts` (the spec's schema plus the
 * seed's prose rules), so a case that stops breaking its rule after a spec change fails loudly instead of testing
 * nothing.
 */
import { checkCreateRequest, PROMPT_MAX_LENGTH } from "../../src/rules.js";
import { operationTable } from "./types.js";

/** One broken create request. */
export interface BadRequestCase {
  /** Short name, used in test names and reports. */
  name: string;
  /** The `src/rules.ts` rule the body breaks (`required`, `maxItems`, `fileExtension`, ...), or `json` for syntax. */
  rule: string;
  /**
   * Where the rule comes from: `schema` (Prism enforces it too), `prose` (the seed's prose, beyond the schema: Prism
   * accepts these), `syntax` (not JSON at all).
   */
  kind: "schema" | "prose" | "syntax";
  /**
   * Whether the body names no usable source video, so that even an API that failed to reject it could not start a
   * billed edit. Only these run against the live API without `KLING_LIVE_SPEND=1`.
   */
  cannotCreateTask: boolean;
  /** The body to send: a JSON value, or a raw string. */
  body: unknown;
}

/** The spec's first create request example (`video_edit`). */
export function exampleCreateBody(): Record<string, unknown> {
  const examples = operationTable.createVideoGeneration?.requestBody?.examples ?? {};
  const first = Object.values(examples)[0];
  if (typeof first !== "object" || first === null) throw new Error("the spec has no create request example");
  return structuredClone(first) as Record<string, unknown>;
}

function variant(change: (body: Record<string, unknown>) => void): Record<string, unknown> {
  const body = exampleCreateBody();
  change(body);
  return body;
}

const VIDEO = "https://example.com/contract-test/source.mp4";
const IMAGE = "https://example.com/contract-test/reference.jpg";

/** Every broken create request the suite sends. */
export const BAD_REQUESTS: readonly BadRequestCase[] = [
  { name: "empty body", rule: "required", kind: "schema", cannotCreateTask: true, body: {} },
  {
    name: "prompt missing",
    rule: "required",
    kind: "schema",
    cannotCreateTask: false,
    body: variant((b) => delete b.prompt),
  },
  {
    name: "video_urls missing",
    rule: "required",
    kind: "schema",
    cannotCreateTask: true,
    body: variant((b) => delete b.video_urls),
  },
  {
    name: "video_urls empty",
    rule: "minItems",
    kind: "schema",
    cannotCreateTask: true,
    body: variant((b) => {
      b.video_urls = [];
    }),
  },
  {
    name: "video_urls not a URL",
    rule: "format",
    kind: "schema",
    cannotCreateTask: true,
    body: variant((b) => {
      b.video_urls = ["not a url"];
    }),
  },
  {
    name: "video_urls a string, not a list",
    rule: "type",
    kind: "schema",
    cannotCreateTask: false,
    body: variant((b) => {
      b.video_urls = VIDEO;
    }),
  },
  {
    name: "two source videos",
    rule: "maxItems",
    kind: "schema",
    cannotCreateTask: false,
    body: variant((b) => {
      b.video_urls = [VIDEO, VIDEO];
    }),
  },
  {
    name: "prompt too long",
    rule: "maxLength",
    kind: "schema",
    cannotCreateTask: false,
    body: variant((b) => {
      b.prompt = "x".repeat(PROMPT_MAX_LENGTH + 1);
    }),
  },
  {
    name: "five reference images",
    rule: "maxItems",
    kind: "schema",
    cannotCreateTask: false,
    body: variant((b) => {
      b.image_urls = [IMAGE, IMAGE, IMAGE, IMAGE, IMAGE];
    }),
  },
  {
    name: "aspect_ratio not offered",
    rule: "enum",
    kind: "schema",
    cannotCreateTask: false,
    body: variant((b) => {
      b.aspect_ratio = "4:3";
    }),
  },
  {
    name: "keep_original_sound not a boolean",
    rule: "type",
    kind: "schema",
    cannotCreateTask: false,
    body: variant((b) => {
      b.keep_original_sound = "yes";
    }),
  },
  {
    name: "callback_url not HTTPS",
    rule: "pattern",
    kind: "schema",
    cannotCreateTask: false,
    body: variant((b) => {
      b.callback_url = "http://example.com/contract-test/hook";
    }),
  },
  {
    name: "callback_url on an internal address",
    rule: "publicHost",
    kind: "prose",
    cannotCreateTask: false,
    body: variant((b) => {
      b.callback_url = "https://192.168.0.1/contract-test/hook";
    }),
  },
  {
    name: "prompt blank",
    rule: "minLength",
    kind: "prose",
    cannotCreateTask: false,
    body: variant((b) => {
      b.prompt = "   ";
    }),
  },
  {
    name: "video_urls not a video file",
    rule: "fileExtension",
    kind: "prose",
    cannotCreateTask: false,
    body: variant((b) => {
      b.video_urls = ["https://example.com/contract-test/source.avi"];
    }),
  },
  {
    name: "image_urls not an image file",
    rule: "fileExtension",
    kind: "prose",
    cannotCreateTask: false,
    body: variant((b) => {
      b.image_urls = ["https://example.com/contract-test/reference.gif"];
    }),
  },
  { name: "body not JSON", rule: "json", kind: "syntax", cannotCreateTask: true, body: '{"prompt": ' },
];

/**
 * The rules `src/rules.ts` finds broken in a case's body (`["json"]` for a raw string). A case is sound when its
 * `rule` is among them.
 */
export function brokenRules(testCase: BadRequestCase): string[] {
  if (typeof testCase.body === "string") {
    try {
      JSON.parse(testCase.body);
      return [];
    } catch {
      return ["json"];
    }
  }
  return checkCreateRequest(testCase.body).map((v) => v.rule);
}

/** The `param` `src/rules.ts` names first for the case's body (what the mock's 400 carries). */
export function brokenParam(testCase: BadRequestCase): string {
  if (typeof testCase.body === "string") return "";
  return checkCreateRequest(testCase.body)[0]?.param ?? "";
}
