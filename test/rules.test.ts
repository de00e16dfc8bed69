import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ADDRESS_RANGES, checkCreateRequest, isInternalHost, isPublicAddress } from "../src/rules.js";

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
    // Issue 11 item 15: the forms the guard missed.
    "https://[64:ff9b::127.0.0.1]/",
    "https://[64:ff9b::a00:1]/",
    "https://[64:ff9b:1::808:808]/",
    "https://[2002:7f00:1::]/",
    "https://[2002:c0a8:101::1]/",
    "https://[::ffff:0:127.0.0.1]/",
    "https://[::ffff:0:a00:1]/",
    "https://[fec0::1]/",
    "https://[ff02::1]/",
    "https://[ff0e::1]/",
    "https://[100::1]/",
    "https://100.64.0.1/",
    "https://100.127.255.254/",
    "https://198.18.0.1/",
    "https://198.19.255.255/",
    "https://240.0.0.1/",
    "https://255.255.255.255/",
    "https://224.0.0.1/",
    "https://foo.localhost/",
    "https://localhost.localdomain/",
    "https://printer.local/",
    "https://metadata.google.internal/",
    "https://nas.home.arpa/",
    "https://intranet/",
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
    "https://[64:ff9b::8.8.8.8]/",
    "https://[2002:808:808::1]/",
    "https://100.63.255.255/",
    "https://100.128.0.1/",
    "https://198.17.255.255/",
    "https://198.20.0.1/",
    "https://239.255.255.255.example.com/",
    "https://localhost.example.com/",
    "https://local.example.com/",
    "https://internal.example.com/",
  ])("%s is public", (url) => {
    expect(isInternalHost(hostOf(url))).toBe(false);
  });
});

// Issue 11, what held up: literal internal addresses are refused in every notation. Random addresses from every
// row of the table, written every way the URL parser accepts, must get the same verdict as the plain form.
describe("every notation of an address gets the same verdict (property)", () => {
  const hostOf = (literal: string) =>
    new URL(`https://${literal.includes(":") ? `[${literal}]` : literal}/hook`).hostname;
  const hex = (n: number) => n.toString(16);
  const v4Notations = (n: number): string[] => {
    const [a, b, c, d] = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
    const dotted = `${a}.${b}.${c}.${d}`;
    const [hi, lo] = [hex(n >>> 16), hex(n & 0xffff)];
    return [
      dotted,
      String(n),
      `0x${hex(n)}`,
      [a, b, c, d].map((x) => `0${x.toString(8)}`).join("."),
      [a, b, c, d].map((x) => `0x${hex(x)}`).join("."),
      `${a}.${b}.${(c << 8) | d}`,
      `${a}.${(b << 16) | (c << 8) | d}`,
      `::ffff:${dotted}`,
      `::ffff:${hi}:${lo}`,
      `0:0:0:0:0:FFFF:${hi}:${lo}`,
      `::ffff:0:${dotted}`,
      `64:ff9b::${dotted}`,
      `64:ff9b::${hi}:${lo}`,
      `2002:${hi}:${lo}::1`,
    ];
  };
  const v4Rows = ADDRESS_RANGES.filter((r) => !r.prefix.includes(":"));
  const v6Rows = ADDRESS_RANGES.filter((r) => r.prefix.includes(":") && r.reachable !== "embedded");
  /** A random address inside a row: its prefix with random host bits. */
  const inside = (prefix: string, random: Uint8Array): Uint8Array => {
    const [address = "", length = "0"] = prefix.split("/");
    const base = address.includes(":") ? expandV6(address) : address.split(".").map(Number);
    return Uint8Array.from(base, (byte, i) => {
      const fixed = Math.min(8, Math.max(0, Number(length) - 8 * i));
      const mask = (0xff << (8 - fixed)) & 0xff;
      return (byte & mask) | ((random[i] ?? 0) & ~mask & 0xff);
    });
  };
  const expandV6 = (text: string): number[] => {
    const [head = "", tail = ""] = text.split("::");
    const groups = (s: string) => (s ? s.split(":").map((g) => Number.parseInt(g, 16)) : []);
    const h = groups(head);
    const t = groups(tail);
    return [...h, ...Array(8 - h.length - t.length).fill(0), ...t].flatMap((g) => [g >> 8, g & 255]);
  };

  it("IPv4, from every row, in 14 notations", () => {
    fc.assert(
      fc.property(fc.constantFrom(...v4Rows), fc.uint8Array({ minLength: 4, maxLength: 4 }), (row, random) => {
        const bytes = inside(row.prefix, random);
        const n = (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
        const [dotted = "", ...others] = v4Notations(n);
        const expected = isInternalHost(dotted);
        expect(expected).toBe(!isPublicAddress(dotted));
        for (const literal of others) expect([literal, isInternalHost(hostOf(literal))]).toEqual([literal, expected]);
      }),
      { numRuns: 400 },
    );
  });

  it("IPv6, from every row, compressed, in full, with leading zeros, in capitals", () => {
    fc.assert(
      fc.property(fc.constantFrom(...v6Rows), fc.uint8Array({ minLength: 16, maxLength: 16 }), (row, random) => {
        const bytes = inside(row.prefix, random);
        const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
        const full = groups.map(hex).join(":");
        const expected = !isPublicAddress(full);
        for (const literal of [
          full,
          groups
            .map((g) => hex(g).padStart(4, "0"))
            .join(":")
            .toUpperCase(),
        ]) {
          expect([literal, isInternalHost(hostOf(literal))]).toEqual([literal, expected]);
        }
      }),
      { numRuns: 400 },
    );
  });
});
