/**
 * Which addresses a callback may reach: the IANA special-purpose address registries (IPv4 and IPv6), plus the
 * multicast and deprecated ranges of the address-space registries, in one table. An address takes the row of the
 * most specific prefix that contains it; a row that embeds an IPv4 address (6to4, NAT64, IPv4-mapped) lets that
 * address decide. Pure code (no `node:` import): the client runs it in browsers too.
 *
 * Sources: https://www.iana.org/assignments/iana-ipv4-special-registry and
 * https://www.iana.org/assignments/iana-ipv6-special-registry (both as of 2025), RFC 3879 (site-local), RFC 4291
 * (multicast, IPv4-compatible), RFC 2765 (IPv4-translated).
 */

/** What a range is for; `global` is ordinary unicast the API may connect to. */
export type AddressKind =
  | "global"
  | "loopback"
  | "unspecified"
  | "private"
  | "shared"
  | "link-local"
  | "site-local"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "benchmarking"
  | "reserved"
  | "protocol"
  | "discard"
  | "translation"
  | "tunnel";

/** One row of the table. */
export interface AddressRange {
  /** The prefix in CIDR notation: `100.64.0.0/10`, `64:ff9b::/96`. */
  prefix: string;
  /** The registry's name for it, with the defining RFC. */
  name: string;
  kind: AddressKind;
  /**
   * `true`: a public destination; `false`: internal or not a unicast destination (refused); `"embedded"`: the IPv4
   * address at byte `embeddedAt` decides (a translator or tunnel would connect there).
   */
  reachable: boolean | "embedded";
  /** Byte offset of the embedded IPv4 address when `reachable` is `"embedded"`. */
  embeddedAt?: number;
}

const E = "embedded" as const;

/** The table, tested row by row (test/rules.test.ts). Order does not matter: the longest matching prefix wins. */
export const ADDRESS_RANGES: readonly AddressRange[] = [
  // IPv4
  { prefix: "0.0.0.0/0", name: "IPv4 global unicast", kind: "global", reachable: true },
  { prefix: "0.0.0.0/8", name: '"This network" (RFC 791)', kind: "unspecified", reachable: false },
  { prefix: "10.0.0.0/8", name: "Private-Use (RFC 1918)", kind: "private", reachable: false },
  {
    prefix: "100.64.0.0/10",
    name: "Shared Address Space, carrier-grade NAT (RFC 6598)",
    kind: "shared",
    reachable: false,
  },
  { prefix: "127.0.0.0/8", name: "Loopback (RFC 1122)", kind: "loopback", reachable: false },
  { prefix: "169.254.0.0/16", name: "Link Local (RFC 3927)", kind: "link-local", reachable: false },
  { prefix: "172.16.0.0/12", name: "Private-Use (RFC 1918)", kind: "private", reachable: false },
  { prefix: "192.0.0.0/24", name: "IETF Protocol Assignments (RFC 6890)", kind: "protocol", reachable: false },
  { prefix: "192.0.0.9/32", name: "Port Control Protocol Anycast (RFC 7723)", kind: "global", reachable: true },
  {
    prefix: "192.0.0.10/32",
    name: "Traversal Using Relays around NAT Anycast (RFC 8155)",
    kind: "global",
    reachable: true,
  },
  { prefix: "192.0.2.0/24", name: "Documentation, TEST-NET-1 (RFC 5737)", kind: "documentation", reachable: false },
  { prefix: "192.88.99.0/24", name: "Deprecated 6to4 Relay Anycast (RFC 7526)", kind: "reserved", reachable: false },
  { prefix: "192.168.0.0/16", name: "Private-Use (RFC 1918)", kind: "private", reachable: false },
  { prefix: "198.18.0.0/15", name: "Benchmarking (RFC 2544)", kind: "benchmarking", reachable: false },
  { prefix: "198.51.100.0/24", name: "Documentation, TEST-NET-2 (RFC 5737)", kind: "documentation", reachable: false },
  { prefix: "203.0.113.0/24", name: "Documentation, TEST-NET-3 (RFC 5737)", kind: "documentation", reachable: false },
  { prefix: "224.0.0.0/4", name: "Multicast (RFC 5771)", kind: "multicast", reachable: false },
  { prefix: "240.0.0.0/4", name: "Reserved (RFC 1112)", kind: "reserved", reachable: false },
  { prefix: "255.255.255.255/32", name: "Limited Broadcast (RFC 919)", kind: "broadcast", reachable: false },
  // IPv6
  { prefix: "::/0", name: "Reserved by the IETF, outside 2000::/3 (RFC 4291)", kind: "reserved", reachable: false },
  { prefix: "2000::/3", name: "IPv6 global unicast", kind: "global", reachable: true },
  { prefix: "::/128", name: "Unspecified Address (RFC 4291)", kind: "unspecified", reachable: false },
  { prefix: "::1/128", name: "Loopback Address (RFC 4291)", kind: "loopback", reachable: false },
  {
    prefix: "::/96",
    name: "IPv4-Compatible, deprecated (RFC 4291)",
    kind: "translation",
    reachable: E,
    embeddedAt: 12,
  },
  {
    prefix: "::ffff:0:0/96",
    name: "IPv4-mapped Address (RFC 4291)",
    kind: "translation",
    reachable: E,
    embeddedAt: 12,
  },
  { prefix: "::ffff:0:0:0/96", name: "IPv4-translated (RFC 2765)", kind: "translation", reachable: E, embeddedAt: 12 },
  {
    prefix: "64:ff9b::/96",
    name: "IPv4-IPv6 Translation (RFC 6052)",
    kind: "translation",
    reachable: E,
    embeddedAt: 12,
  },
  {
    prefix: "64:ff9b:1::/48",
    name: "IPv4-IPv6 Translation, local-use (RFC 8215)",
    kind: "translation",
    reachable: false,
  },
  { prefix: "100::/64", name: "Discard-Only Address Block (RFC 6666)", kind: "discard", reachable: false },
  { prefix: "100:0:0:1::/64", name: "Dummy IPv6 Prefix (RFC 9780)", kind: "reserved", reachable: false },
  { prefix: "2001::/23", name: "IETF Protocol Assignments (RFC 2928)", kind: "protocol", reachable: false },
  { prefix: "2001::/32", name: "TEREDO (RFC 4380)", kind: "tunnel", reachable: false },
  { prefix: "2001:1::1/128", name: "Port Control Protocol Anycast (RFC 7723)", kind: "global", reachable: true },
  {
    prefix: "2001:1::2/128",
    name: "Traversal Using Relays around NAT Anycast (RFC 8155)",
    kind: "global",
    reachable: true,
  },
  {
    prefix: "2001:1::3/128",
    name: "DNS-SD Service Registration Protocol Anycast (RFC 9665)",
    kind: "global",
    reachable: true,
  },
  { prefix: "2001:2::/48", name: "Benchmarking (RFC 5180)", kind: "benchmarking", reachable: false },
  { prefix: "2001:3::/32", name: "AMT (RFC 7450)", kind: "global", reachable: true },
  { prefix: "2001:4:112::/48", name: "AS112-v6 (RFC 7535)", kind: "global", reachable: true },
  { prefix: "2001:10::/28", name: "Deprecated ORCHID (RFC 4843)", kind: "reserved", reachable: false },
  { prefix: "2001:20::/28", name: "ORCHIDv2 (RFC 7343)", kind: "global", reachable: true },
  { prefix: "2001:30::/28", name: "Drone Remote ID Protocol Entity Tags (RFC 9374)", kind: "global", reachable: true },
  { prefix: "2001:db8::/32", name: "Documentation (RFC 3849)", kind: "documentation", reachable: false },
  { prefix: "2002::/16", name: "6to4 (RFC 3056)", kind: "tunnel", reachable: E, embeddedAt: 2 },
  { prefix: "3fff::/20", name: "Documentation (RFC 9637)", kind: "documentation", reachable: false },
  { prefix: "5f00::/16", name: "Segment Routing SIDs (RFC 9602)", kind: "reserved", reachable: false },
  { prefix: "fc00::/7", name: "Unique-Local (RFC 4193)", kind: "private", reachable: false },
  { prefix: "fe80::/10", name: "Link-Local Unicast (RFC 4291)", kind: "link-local", reachable: false },
  { prefix: "fec0::/10", name: "Site-Local, deprecated (RFC 3879)", kind: "site-local", reachable: false },
  { prefix: "ff00::/8", name: "Multicast (RFC 4291)", kind: "multicast", reachable: false },
];

/** What {@link classifyAddress} says about an address. */
export interface AddressClass {
  family: 4 | 6;
  /** The most specific row of {@link ADDRESS_RANGES} containing the address. */
  range: AddressRange;
  /** The class of the embedded IPv4 address, for a row that embeds one. */
  embedded?: AddressClass;
  /** Whether the address is a public unicast destination (decided by `embedded` where there is one). */
  public: boolean;
}

/** WHATWG URL IPv4 parsing: 1 to 4 parts, each decimal, octal (`0` prefix) or hex (`0x`); the last fills the rest. */
function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length > 4 || parts.some((p) => p === "")) return undefined;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = /^0x[0-9a-f]*$/i.test(part)
      ? Number.parseInt(part.slice(2) || "0", 16)
      : /^0[0-7]+$/.test(part)
        ? Number.parseInt(part, 8)
        : /^(0|[1-9]\d*)$/.test(part)
          ? Number(part)
          : Number.NaN;
    if (!Number.isFinite(n)) return undefined;
    numbers.push(n);
  }
  const last = numbers.pop() ?? 0;
  if (numbers.some((n) => n > 255) || last >= 256 ** (4 - numbers.length)) return undefined;
  const bytes = new Uint8Array(4);
  numbers.forEach((n, i) => {
    bytes[i] = n;
  });
  for (let i = 3, rest = last; i >= numbers.length; i--, rest = Math.floor(rest / 256)) bytes[i] = rest % 256;
  return bytes;
}

/** RFC 4291 section 2.2 text forms, including `::` and a trailing dotted quad. */
function parseIPv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (!half) return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(piece) ? parseIPv4(piece) : undefined;
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(Number.parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

interface CompiledRange {
  range: AddressRange;
  bytes: Uint8Array;
  length: number;
}

function compile(range: AddressRange): CompiledRange {
  const [address = "", length = ""] = range.prefix.split("/");
  const bytes = address.includes(":") ? parseIPv6(address) : parseIPv4(address);
  if (!bytes) throw new Error(`bad prefix in the address table: ${range.prefix}`);
  return { range, bytes, length: Number(length) };
}

const COMPILED = ADDRESS_RANGES.map(compile);

function contains({ bytes, length }: CompiledRange, address: Uint8Array): boolean {
  if (bytes.length !== address.length) return false;
  for (let bit = 0; bit < length; bit += 8) {
    const mask = length - bit >= 8 ? 0xff : (0xff << (8 - (length - bit))) & 0xff;
    if (((bytes[bit / 8] ?? 0) & mask) !== ((address[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function classifyBytes(address: Uint8Array): AddressClass {
  let best: CompiledRange | undefined;
  for (const row of COMPILED) if (contains(row, address) && (!best || row.length > best.length)) best = row;
  // Both families have a /0 row, so `best` is always found.
  const range = (best as CompiledRange).range;
  const family = address.length === 4 ? 4 : 6;
  if (range.reachable !== "embedded") return { family, range, public: range.reachable };
  const at = range.embeddedAt ?? 12;
  const embedded = classifyBytes(address.slice(at, at + 4));
  return { family, range, embedded, public: embedded.public };
}

/**
 * Classifies an IP address literal against the IANA special-purpose registries. Accepts what a resolver or a URL
 * gives: `10.0.0.1`, IPv4 in the URL parser's other notations (`2130706433`, `0x7f.1`), IPv6 in any text form, with
 * or without brackets; a zone (`fe80::1%eth0`) makes it non-public whatever the address. Returns `undefined` for a
 * string that is not an IP address (a host name).
 *
 * @example classifyAddress("100.64.0.1")?.range.name // "Shared Address Space, carrier-grade NAT (RFC 6598)"
 */
export function classifyAddress(address: string): AddressClass | undefined {
  let text = address.trim();
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (text.includes(":")) {
    const bytes = parseIPv6(zone === -1 ? text : text.slice(0, zone));
    if (!bytes) return undefined;
    const found = classifyBytes(bytes);
    return zone === -1 ? found : { ...found, public: false };
  }
  const bytes = /^[0-9a-fx.]+$/i.test(text) ? parseIPv4(text.replace(/\.$/, "")) : undefined;
  return bytes ? classifyBytes(bytes) : undefined;
}

/**
 * Whether an IP address literal is a public unicast destination (see {@link classifyAddress}). `false` for anything
 * that is not an IP address, so a caller checking the address it is about to connect to fails closed.
 */
export function isPublicAddress(address: string): boolean {
  return classifyAddress(address)?.public ?? false;
}

/** Host names that point into the local machine or network, whatever a resolver answers for them. */
export const INTERNAL_NAMES: readonly { pattern: string; name: string }[] = [
  { pattern: "localhost", name: "localhost (RFC 6761)" },
  { pattern: "*.localhost", name: "localhost (RFC 6761)" },
  { pattern: "localhost.localdomain", name: "the usual /etc/hosts alias of localhost" },
  { pattern: "*.localdomain", name: "the usual /etc/hosts domain of the machine itself" },
  { pattern: "*.local", name: "Multicast DNS (RFC 6762)" },
  { pattern: "*.internal", name: "private-use top-level domain (ICANN, 2024)" },
  { pattern: "*.home.arpa", name: "residential networks (RFC 8375)" },
  { pattern: "*.test", name: "testing (RFC 6761), never delegated" },
  { pattern: "*.invalid", name: "invalid (RFC 6761), never delegated" },
  { pattern: "(a name without a dot)", name: "resolved through the local search domains and /etc/hosts" },
];

/**
 * Why a host name (not an IP literal) is internal: the matching row of {@link INTERNAL_NAMES}, or `undefined` for
 * a name that may be public. Case and a trailing dot are ignored.
 */
export function internalName(hostname: string): { pattern: string; name: string } | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return INTERNAL_NAMES.find(({ pattern }) =>
    pattern.startsWith("*.")
      ? host.endsWith(pattern.slice(1))
      : pattern.startsWith("(")
        ? !host.includes(".")
        : host === pattern,
  );
}
