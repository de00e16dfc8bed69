/**
 * Broken create requests, one per request rule: each is the spec's own request example with one thing broken. The
 * rule each breaks is not asserted here by hand: {@link brokenRules} asks `src/rules.ts` (the spec's schema plus the
 * seed's prose rules), so a case that stops breaking its rule after a spec change fails loudly instead of testing
 * nothing. Nor is "free" asserted by hand: {@link whyBodyCannotCreate} decides which bodies cannot create a task
 * whatever the server does, and only those are sent without `--spend`.
 */
import { validators } from "../../generated/validators.js";
import { checkCreateRequest, PROMPT_MAX_LENGTH } from "../rules.js";
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

/** The spec's example with `patch`'s fields set over it (a field set to `undefined` is removed). */
function variant(patch: Record<string, unknown>): Record<string, unknown> {
  const body = exampleCreateBody();
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) delete body[field];
    else body[field] = value;
  }
  return body;
}

const VIDEO = "https://example.com/contract-test/source.mp4";
const IMAGE = "https://example.com/contract-test/reference.jpg";

/** Every broken create request the suite sends. */
export const BAD_REQUESTS: readonly BadRequestCase[] = [
  { name: "empty body", rule: "required", kind: "schema", body: {} },
  { name: "prompt missing", rule: "required", kind: "schema", body: variant({ prompt: undefined }) },
  { name: "video_urls missing", rule: "required", kind: "schema", body: variant({ video_urls: undefined }) },
  { name: "video_urls empty", rule: "minItems", kind: "schema", body: variant({ video_urls: [] }) },
  { name: "video_urls not a URL", rule: "format", kind: "schema", body: variant({ video_urls: ["not a url"] }) },
  { name: "video_urls a number, not a list", rule: "type", kind: "schema", body: variant({ video_urls: 42 }) },
  { name: "body a list, not an object", rule: "type", kind: "schema", body: [exampleCreateBody()] },
  { name: "video_urls a string, not a list", rule: "type", kind: "schema", body: variant({ video_urls: VIDEO }) },
  { name: "two source videos", rule: "maxItems", kind: "schema", body: variant({ video_urls: [VIDEO, VIDEO] }) },
  {
    name: "prompt too long",
    rule: "maxLength",
    kind: "schema",
    body: variant({ prompt: "x".repeat(PROMPT_MAX_LENGTH + 1) }),
  },
  {
    name: "five reference images",
    rule: "maxItems",
    kind: "schema",
    body: variant({ image_urls: [IMAGE, IMAGE, IMAGE, IMAGE, IMAGE] }),
  },
  { name: "aspect_ratio not offered", rule: "enum", kind: "schema", body: variant({ aspect_ratio: "4:3" }) },
  {
    name: "keep_original_sound not a boolean",
    rule: "type",
    kind: "schema",
    body: variant({ keep_original_sound: "yes" }),
  },
  {
    name: "callback_url not HTTPS",
    rule: "pattern",
    kind: "schema",
    body: variant({ callback_url: "http://example.com/contract-test/hook" }),
  },
  {
    name: "callback_url on an internal address",
    rule: "publicHost",
    kind: "prose",
    body: variant({ callback_url: "https://192.168.0.1/contract-test/hook" }),
  },
  { name: "prompt blank", rule: "minLength", kind: "prose", body: variant({ prompt: "   " }) },
  {
    name: "video_urls not a video file",
    rule: "fileExtension",
    kind: "prose",
    body: variant({ video_urls: ["https://example.com/contract-test/source.avi"] }),
  },
  {
    name: "image_urls not an image file",
    rule: "fileExtension",
    kind: "prose",
    body: variant({ image_urls: ["https://example.com/contract-test/reference.gif"] }),
  },
  { name: "body not JSON", rule: "json", kind: "syntax", body: '{"prompt": ' },
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

/** The field of the create request that names the source video: without a usable one no edit can start. */
const SOURCE_FIELD = "video_urls";

/**
 * Why a create body cannot create a task whatever the server does (even one that accepted every body), or
 * `undefined` when it could. It can not when it is not JSON or not an object, or when the required source video
 * field is missing or of a JSON type no lenient reading turns into a URL (a number, a boolean, an object, null).
 * Each reason is also a schema violation, checked here with the spec's generated validator, so such a body is one a
 * conforming server must reject (400) rather than merely one we hope it does.
 */
export function whyBodyCannotCreate(body: unknown): string | undefined {
  if (typeof body === "string") {
    try {
      JSON.parse(body);
    } catch {
      return "the body is not JSON: no field can be read from it";
    }
    return undefined; // a JSON text sent raw: judged like the value only when parsed by the caller
  }
  const validate = validators.VideoGenerationRequest as ((data: unknown) => boolean) & {
    errors?: { keyword: string; instancePath: string; params: Record<string, unknown> }[] | null;
  };
  if (validate(body)) return undefined;
  const issues = validate.errors ?? [];
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return issues.some((i) => i.keyword === "type" && i.instancePath === "")
      ? `the body is ${Array.isArray(body) ? "an array" : typeof body}, not an object (wrong JSON type)`
      : undefined;
  }
  const source = (body as Record<string, unknown>)[SOURCE_FIELD];
  if (source === undefined) {
    const missing = issues.some((i) => i.keyword === "required" && i.params.missingProperty === SOURCE_FIELD);
    return missing ? `the required field ${SOURCE_FIELD} is missing` : undefined;
  }
  if (typeof source === "string" || Array.isArray(source)) return undefined;
  const wrongType = issues.some((i) => i.keyword === "type" && i.instancePath === `/${SOURCE_FIELD}`);
  return wrongType ? `${SOURCE_FIELD} is ${source === null ? "null" : typeof source} (wrong JSON type)` : undefined;
}

/** A request as the server receives it: what {@link whyRequestCannotCreate} judges. */
export interface RawRequest {
  method: string;
  path: string;
  /** The Authorization header, if any. */
  authorization?: string | undefined;
  /** The body text ("" when none). */
  body: string;
}

/**
 * Why a request cannot create a task whatever the server does, or `undefined` when it could: no bearer token, the
 * token verify never accepts (`invalidToken`), a method other than the create's (a query creates nothing), or a
 * create body {@link whyBodyCannotCreate} rules out.
 */
export function whyRequestCannotCreate(request: RawRequest, invalidToken: string): string | undefined {
  const token = /^Bearer (\S+)$/i.exec(request.authorization ?? "")?.[1];
  if (token === undefined) return "no bearer token";
  if (token === invalidToken) return "a token no server issued";
  const create = operationTable.createVideoGeneration;
  if (request.method.toUpperCase() !== create?.method.toUpperCase()) return `a ${request.method} creates nothing`;
  // A base URL may add a prefix (`/apiv1/v1/videos/generations`): that is still a create, which may bill.
  if (!(request.path.split("?")[0] ?? "").endsWith(create.path)) return "not the create path";
  let body: unknown = request.body;
  try {
    body = JSON.parse(request.body);
  } catch {
    // judged as text
  }
  return whyBodyCannotCreate(body);
}

/** The cases sent without `--spend`: bodies that cannot create a task whatever the server does. */
export const FREE_BAD_REQUESTS: readonly BadRequestCase[] = BAD_REQUESTS.filter(
  (c) => whyBodyCannotCreate(c.body) !== undefined,
);
/** The cases sent only with `--spend`: a server that failed to reject one would create (and bill) a task. */
export const PAID_BAD_REQUESTS: readonly BadRequestCase[] = BAD_REQUESTS.filter(
  (c) => whyBodyCannotCreate(c.body) === undefined,
);
