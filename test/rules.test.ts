import { describe, expect, it } from "vitest";
import { checkCreateRequest, isInternalHost } from "../src/rules.js";

const ok = {
  model: "kling-o1-video-edit",
  prompt: "Make the video more cinematic",
  video_urls: ["https://example.com/original-video.mp4"],
};

describe("checkCreateRequest", () => {
  it("accepts the seed's examples and the limits", () => {
    expect(checkCreateRequest(ok)).toEqual([]);
    expect(
      checkCreateRequest({
        ...ok,
        prompt: "x".repeat(5000),
        video_urls: ["https://cdn.example.com/a/B.MOV?sig=abc&exp=1#t=2"],
        image_urls: ["https://a.com/1.jpg", "https://a.com/2.JPEG", "https://a.com/3.png?x=1", "https://a.com/4.webp"],
        aspect_ratio: "1:1",
        keep_original_sound: true,
        callback_url: "https://your-domain.com/webhooks/video-task-completed",
      }),
    ).toEqual([]);
  });

  const broken: [string, { given: Record<string, unknown>; field: string; param: string; rule: string }][] = [
    ["missing prompt", { given: { ...ok, prompt: undefined }, field: "prompt", param: "prompt", rule: "required" }],
    ["empty prompt", { given: { ...ok, prompt: "" }, field: "prompt", param: "prompt", rule: "minLength" }],
    ["blank prompt", { given: { ...ok, prompt: "   " }, field: "prompt", param: "prompt", rule: "minLength" }],
    [
      "long prompt",
      { given: { ...ok, prompt: "x".repeat(5001) }, field: "prompt", param: "prompt", rule: "maxLength" },
    ],
    [
      "two videos",
      {
        given: { ...ok, video_urls: ["https://a.com/1.mp4", "https://a.com/2.mp4"] },
        field: "video_urls",
        param: "video_urls",
        rule: "maxItems",
      },
    ],
    [
      "video .avi",
      {
        given: { ...ok, video_urls: ["https://a.com/v.avi"] },
        field: "video_urls[0]",
        param: "video_urls",
        rule: "fileExtension",
      },
    ],
    [
      "video ext only in query",
      {
        given: { ...ok, video_urls: ["https://a.com/v?f=.mp4"] },
        field: "video_urls[0]",
        param: "video_urls",
        rule: "fileExtension",
      },
    ],
    [
      "video ftp",
      {
        given: { ...ok, video_urls: ["ftp://a.com/v.mp4"] },
        field: "video_urls[0]",
        param: "video_urls",
        rule: "httpUrl",
      },
    ],
    [
      "image .gif",
      {
        given: { ...ok, image_urls: ["https://a.com/i.gif"] },
        field: "image_urls[0]",
        param: "image_urls",
        rule: "fileExtension",
      },
    ],
    [
      "five images",
      {
        given: { ...ok, image_urls: Array(5).fill("https://a.com/i.png") },
        field: "image_urls",
        param: "image_urls",
        rule: "maxItems",
      },
    ],
    [
      "aspect 4:3",
      { given: { ...ok, aspect_ratio: "4:3" }, field: "aspect_ratio", param: "aspect_ratio", rule: "enum" },
    ],
    [
      "http callback",
      {
        given: { ...ok, callback_url: "http://example.com/hook" },
        field: "callback_url",
        param: "callback_url",
        rule: "pattern",
      },
    ],
    [
      "long callback",
      {
        given: { ...ok, callback_url: `https://e.com/${"a".repeat(2040)}` },
        field: "callback_url",
        param: "callback_url",
        rule: "maxLength",
      },
    ],
    [
      "loopback callback",
      {
        given: { ...ok, callback_url: "https://127.0.0.1/hook" },
        field: "callback_url",
        param: "callback_url",
        rule: "publicHost",
      },
    ],
  ];
  it.each(broken)("%s", (_name, { given, field, param, rule }) => {
    const violations = checkCreateRequest(JSON.parse(JSON.stringify(given)));
    expect(violations).toContainEqual(expect.objectContaining({ field, param, rule }));
    const found = violations.find((v) => v.field === field);
    expect(found?.message.startsWith(field)).toBe(true);
  });

  it("lists every violation at once, each field once", () => {
    const violations = checkCreateRequest({
      prompt: "",
      video_urls: ["https://a.com/v.avi"],
      image_urls: ["not a url"],
      aspect_ratio: "4:3",
      callback_url: "https://10.0.0.1/x",
    });
    expect(violations.map((v) => `${v.field}:${v.rule}`).sort()).toEqual([
      "aspect_ratio:enum",
      "callback_url:publicHost",
      "image_urls[0]:format",
      "model:required",
      "prompt:minLength",
      "video_urls[0]:fileExtension",
    ]);
  });

  it("rejects a body that is not an object", () => {
    expect(checkCreateRequest(null)).toEqual([expect.objectContaining({ field: "", rule: "type" })]);
    expect(checkCreateRequest([])).toEqual([expect.objectContaining({ field: "", rule: "type" })]);
  });
});

describe("isInternalHost", () => {
  const hostOf = (url: string) => new URL(url).hostname;
  it.each([
    "https://127.0.0.1/",
    "https://127.1/",
    "https://2130706433/",
    "https://0177.0.0.1/",
    "https://0x7f.0.0.1/",
    "https://0x7f000001/",
    "https://10.1.2.3/",
    "https://012.1.2.3/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.168.1.1/",
    "https://3232235777/",
    "https://169.254.169.254/",
    "https://0.0.0.0/",
    "https://0/",
    "https://100.64.0.1/",
    "https://localhost/",
    "https://LOCALHOST./",
    "https://api.localhost/",
    "https://[::1]/",
    "https://[::]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[::ffff:192.168.0.1]/",
    "https://[::ffff:169.254.1.1]/",
    "https://[fc00::1]/",
    "https://[fd12:3456::1]/",
    "https://[fe80::1]/",
    "https://[febf::1]/",
  ])("%s is internal", (url) => {
    expect(isInternalHost(hostOf(url))).toBe(true);
  });

  it.each([
    "https://example.com/",
    "https://8.8.8.8/",
    "https://172.15.0.1/",
    "https://172.32.0.1/",
    "https://192.169.0.1/",
    "https://11.0.0.1/",
    "https://[2001:4860:4860::8888]/",
    "https://[::ffff:8.8.8.8]/",
    "https://[fec0::1]/",
    "https://localhost.example.com/",
  ])("%s is public", (url) => {
    expect(isInternalHost(hostOf(url))).toBe(false);
  });
});
