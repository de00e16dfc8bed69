/**
 * src/internal/addresses.ts: the IANA special-purpose table and the internal names, row by row. How rules.ts's
 * isInternalHost uses them (every notation of an address alike) is in test/rules.test.ts.
 */
import { describe, expect, it } from "vitest";
import {
  ADDRESS_RANGES,
  classifyAddress,
  INTERNAL_NAMES,
  internalName,
  isPublicAddress,
} from "../../src/internal/addresses.js";

describe("classifyAddress: the IANA special-purpose table, row by row", () => {
  // [address inside the row, the row's prefix, whether the address is public]
  const rows: [string, string, boolean][] = [
    ["8.8.8.8", "0.0.0.0/0", true],
    ["0.1.2.3", "0.0.0.0/8", false],
    ["10.255.0.1", "10.0.0.0/8", false],
    ["100.64.0.0", "100.64.0.0/10", false],
    ["127.0.0.2", "127.0.0.0/8", false],
    ["169.254.169.254", "169.254.0.0/16", false],
    ["172.20.0.1", "172.16.0.0/12", false],
    ["192.0.0.8", "192.0.0.0/24", false],
    ["192.0.0.9", "192.0.0.9/32", true],
    ["192.0.0.10", "192.0.0.10/32", true],
    ["192.0.2.1", "192.0.2.0/24", false],
    ["192.88.99.1", "192.88.99.0/24", false],
    ["192.168.255.255", "192.168.0.0/16", false],
    ["198.19.0.1", "198.18.0.0/15", false],
    ["198.51.100.7", "198.51.100.0/24", false],
    ["203.0.113.9", "203.0.113.0/24", false],
    ["239.1.1.1", "224.0.0.0/4", false],
    ["250.1.2.3", "240.0.0.0/4", false],
    ["255.255.255.255", "255.255.255.255/32", false],
    ["1::", "::/0", false],
    ["2606:4700::1111", "2000::/3", true],
    ["::", "::/128", false],
    ["::1", "::1/128", false],
    ["::10.0.0.1", "::/96", false],
    ["::ffff:127.0.0.1", "::ffff:0:0/96", false],
    ["::ffff:0:10.1.1.1", "::ffff:0:0:0/96", false],
    ["64:ff9b::169.254.169.254", "64:ff9b::/96", false],
    ["64:ff9b:1:2::1", "64:ff9b:1::/48", false],
    ["100::ffff", "100::/64", false],
    ["100:0:0:1::1", "100:0:0:1::/64", false],
    ["2001:1ff::1", "2001::/23", false],
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32", false],
    ["2001:1::1", "2001:1::1/128", true],
    ["2001:1::2", "2001:1::2/128", true],
    ["2001:1::3", "2001:1::3/128", true],
    ["2001:2::5", "2001:2::/48", false],
    ["2001:3::1", "2001:3::/32", true],
    ["2001:4:112::1", "2001:4:112::/48", true],
    ["2001:10::1", "2001:10::/28", false],
    ["2001:20::1", "2001:20::/28", true],
    ["2001:30::1", "2001:30::/28", true],
    ["2001:db8::1", "2001:db8::/32", false],
    ["2002:c0a8:0101::", "2002::/16", false],
    ["3fff:fff::1", "3fff::/20", false],
    ["5f00::1", "5f00::/16", false],
    ["fdff::1", "fc00::/7", false],
    ["fe80::1", "fe80::/10", false],
    ["fec0::1", "fec0::/10", false],
    ["ff02::fb", "ff00::/8", false],
  ];

  it.each(rows)("%s is in %s (public: %s)", (address, prefix, expected) => {
    const found = classifyAddress(address);
    expect(found?.range.prefix).toBe(prefix);
    expect(found?.public).toBe(expected);
    expect(isPublicAddress(address)).toBe(expected);
  });

  it("has a tested address in every row", () => {
    const tested = new Set(rows.map(([, prefix]) => prefix));
    expect(ADDRESS_RANGES.map((r) => r.prefix).filter((p) => !tested.has(p))).toEqual([]);
  });

  it.each([
    ["64:ff9b::8.8.8.8", true],
    ["64:ff9b::7f00:1", false],
    ["2002:808:808::", true],
    ["2002:a00:1::", false],
    ["::ffff:8.8.8.8", true],
    ["::ffff:0:8.8.8.8", true],
    ["::ffff:0:192.168.0.1", false],
  ])("%s: the embedded IPv4 address decides (public: %s)", (address, expected) => {
    expect(classifyAddress(address)?.embedded).toBeDefined();
    expect(isPublicAddress(address)).toBe(expected);
  });

  it.each([
    ["127.0.0.1", "127.0.0.0/8"],
    ["2130706433", "127.0.0.0/8"],
    ["0x7f.1", "127.0.0.0/8"],
    ["0177.0.0.01", "127.0.0.0/8"],
    ["127.1", "127.0.0.0/8"],
    ["[::1]", "::1/128"],
    ["0:0:0:0:0:0:0:1", "::1/128"],
    ["0000:0000:0000:0000:0000:0000:0000:0001", "::1/128"],
    ["::FFFF:7F00:1", "::ffff:0:0/96"],
    ["0:0:0:0:0:ffff:127.0.0.1", "::ffff:0:0/96"],
    ["FE80::1", "fe80::/10"],
  ])("reads %s in any notation (%s)", (address, prefix) => {
    expect(classifyAddress(address)?.range.prefix).toBe(prefix);
    expect(isPublicAddress(address)).toBe(false);
  });

  it("treats a zoned address as internal and anything that is not an address as not public", () => {
    expect(isPublicAddress("2606:4700::1111%eth0")).toBe(false);
    expect(classifyAddress("fe80::1%eth0")?.range.prefix).toBe("fe80::/10");
    for (const notAnAddress of ["", "example.com", "1.2.3.4.5", "256.1.1.1", "1:2:3:4:5:6:7:8:9", "1::2::3", "::g"]) {
      expect(classifyAddress(notAnAddress)).toBeUndefined();
      expect(isPublicAddress(notAnAddress)).toBe(false);
    }
  });
});

describe("internalName: the names table, row by row", () => {
  const rows: [string, string][] = [
    ["localhost", "localhost"],
    ["a.b.localhost", "*.localhost"],
    ["localhost.localdomain", "localhost.localdomain"],
    ["myhost.localdomain", "*.localdomain"],
    ["printer.local", "*.local"],
    ["metadata.google.internal", "*.internal"],
    ["nas.home.arpa", "*.home.arpa"],
    ["hooks.test", "*.test"],
    ["x.invalid", "*.invalid"],
    ["router", "(a name without a dot)"],
  ];
  it.each(rows)("%s matches %s", (host, pattern) => {
    expect(internalName(host)?.pattern).toBe(pattern);
    expect(internalName(`${host.toUpperCase()}.`)?.pattern).toBe(pattern);
  });
  it("has a tested name in every row", () => {
    const tested = new Set(rows.map(([, pattern]) => pattern));
    expect(INTERNAL_NAMES.map((r) => r.pattern).filter((p) => !tested.has(p))).toEqual([]);
  });
  it.each(["example.com", "localhost.example.com", "local.example", "internal.example.com", "home.arpa.example.com"])(
    "%s may be public",
    (host) => {
      expect(internalName(host)).toBeUndefined();
    },
  );
});

describe("classifyAddress: the forms a resolver or a URL hands over", () => {
  const table: [string, { given: string; prefix: string; family: 4 | 6; public: boolean }][] = [
    ["brackets, as in a URL host", { given: "[::1]", prefix: "::1/128", family: 6, public: false }],
    ["surrounding spaces", { given: " 10.1.2.3 ", prefix: "10.0.0.0/8", family: 4, public: false }],
    ["a trailing dot", { given: "127.0.0.1.", prefix: "127.0.0.0/8", family: 4, public: false }],
    ["one 32-bit number", { given: "2130706433", prefix: "127.0.0.0/8", family: 4, public: false }],
    ["two parts, the last filling three bytes", { given: "10.65536", prefix: "10.0.0.0/8", family: 4, public: false }],
    ["IPv6 with a trailing dotted quad", { given: "::ffff:8.8.8.8", prefix: "::ffff:0:0/96", family: 6, public: true }],
    ["capitals", { given: "FE80::ABCD", prefix: "fe80::/10", family: 6, public: false }],
  ];
  it.each(table)("%s", (_name, { given, prefix, family, public: isPublic }) => {
    const found = classifyAddress(given);
    expect(found?.range.prefix).toBe(prefix);
    expect(found?.family).toBe(family);
    expect(found?.public).toBe(isPublic);
  });

  it("an embedded IPv4 address decides, and is reported", () => {
    const mapped = classifyAddress("::ffff:10.0.0.1");
    expect(mapped?.embedded?.range.prefix).toBe("10.0.0.0/8");
    expect(mapped?.public).toBe(false);
  });

  it("refuses a two-part IPv4 whose last part overflows its three bytes, and an octal digit 8", () => {
    expect(classifyAddress("10.16777216")).toBeUndefined();
    expect(classifyAddress("010.08.0.1")).toBeUndefined();
  });
});
