/**
 * A validating proxy for anyone calling the API: Prism 5.14 in proxy mode (`--errors`) in front of an upstream, plus
 * the contract suite's own checks for what Prism misses (contract-tests/lib/proxy.ts explains both).
 *
 * Usage: npm run proxy -- <upstream-base-url> [--port 4011] [--host 127.0.0.1] [--warn-only]
 *   e.g. npm run proxy -- https://ai.odkkk.com/apiv1     then point the client at http://127.0.0.1:4011
 *        npm run proxy -- http://127.0.0.1:4010          (the mock: npm run mock)
 */
import { parseArgs } from "node:util";
import { DEFAULT_PROXY_PORT, startValidatingProxy } from "../contract-tests/lib/proxy.js";

const USAGE = `Usage: npm run proxy -- <upstream-base-url> [--port ${DEFAULT_PROXY_PORT}] [--host 127.0.0.1] [--warn-only]

Forwards every request to the upstream through Prism (proxy mode, --errors) and checks each response against
spec/kling-o1-video-edit.yaml. A response that breaks the spec is replaced by a 500 problem document listing the
violations (--warn-only passes it through with an x-contract-violations header instead); each exchange is logged.`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: "string", short: "p" },
      host: { type: "string", short: "H" },
      "warn-only": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const upstream = positionals[0];
  if (values.help || !upstream) {
    console.log(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const port = values.port === undefined ? DEFAULT_PROXY_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number (got ${values.port})`);
    process.exitCode = 2;
    return;
  }
  const proxy = await startValidatingProxy({
    upstream,
    port,
    ...(values.host ? { host: values.host } : {}),
    warnOnly: values["warn-only"] ?? false,
    log: (line) => console.log(line),
  });
  console.log(`Validating proxy on ${proxy.url} -> ${upstream} (Prism proxy --errors on ${proxy.prismUrl})`);
  console.log(
    values["warn-only"]
      ? "Violations are logged and listed in the x-contract-violations header; responses pass through unchanged."
      : "A response that breaks the spec becomes a 500 listing the violations (--warn-only to pass it through).",
  );
  const stop = () => {
    proxy.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: Error) => {
  console.error(`proxy: ${error.message}`);
  process.exitCode = 1;
});
