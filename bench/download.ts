/**
 * 3. Download: a 100 MiB result from a loopback server, `client.download` (in a fresh child process) against `curl`
 * in the same run, alternating; plus Node's own fetch, and node:http, piped to a file, to tell the client's cost from
 * Node's.
 * Targets: throughput at least 0.9x curl's; peak RSS growth of the Node process under 64 MiB.
 */
import { rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { BUILD_DIR, firstJsonLine, ROOT, run, start, stop, tsxNode } from "./lib/proc.js";
import { median, pairRatios, summarize } from "./lib/stats.js";
import type { Benchmark, Measure } from "./lib/types.js";

const MiB = 2 ** 20;
const CURL = "/usr/bin/curl";

interface ChildReport {
  ms: number;
  bytes: number;
  rssBefore: number;
  maxRss: number;
  sampledPeak: number;
}

export const download: Benchmark = {
  name: "download",
  title: "result download: client.download vs curl (loopback)",
  async run(ctx) {
    const size = (ctx.smoke ? 2 : 100) * MiB;
    const clientScript = path.join(BUILD_DIR, "download-client.mjs");
    await build({
      entryPoints: [path.join(ROOT, "bench/fixtures/download-client.ts")],
      outfile: clientScript,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      logLevel: "silent",
    });
    const curlVersion = (await run(CURL, ["--version"])).split("\n")[0] ?? "curl";
    const server = start(...tsxNode("bench/fixtures/download-server.ts", [String(size)]));
    try {
      const { port } = await firstJsonLine<{ port: number }>(server);
      const url = `http://127.0.0.1:${port}/result.mp4`;
      const dest = path.join(ctx.tmpDir, "result.mp4");
      const samples = { curl: [] as number[], client: [] as number[], fetch: [] as number[], http: [] as number[] };
      const growth = { client: [] as number[], fetch: [] as number[], http: [] as number[] };
      const contenders = ["curl", "client", "fetch", "http"] as const;
      const once = async (who: (typeof contenders)[number]): Promise<number> => {
        await rm(dest, { force: true });
        let ms: number;
        if (who === "curl") {
          const out = await run(CURL, ["-sS", "--fail", "-o", dest, "-w", "%{time_total} %{size_download}", url]);
          const [seconds, bytes] = out.trim().split(" ").map(Number);
          if (bytes !== size) throw new Error(`curl got ${bytes} bytes, not ${size}`);
          ms = (seconds as number) * 1000;
        } else {
          const report = JSON.parse(await run(process.execPath, [clientScript, who, url, dest])) as ChildReport;
          if (report.bytes !== size) throw new Error(`${who} got ${report.bytes} bytes, not ${size}`);
          ms = report.ms;
          growth[who].push(Math.max(report.maxRss, report.sampledPeak) / MiB - report.rssBefore / MiB);
        }
        const written = (await stat(dest)).size;
        if (written !== size) throw new Error(`${who} wrote ${written} bytes, not ${size}`);
        await rm(dest, { force: true });
        return size / MiB / (ms / 1000);
      };
      await once("curl");
      for (let round = 0; round < ctx.rounds; round++) {
        for (let k = 0; k < contenders.length; k++) {
          const who = contenders[(k + round) % contenders.length] as (typeof contenders)[number];
          samples[who].push(await once(who));
        }
        ctx.log(
          `round ${round + 1}/${ctx.rounds}: ${contenders.map((w) => `${w} ${samples[w].at(-1)?.toFixed(0)} MiB/s`).join(", ")}`,
        );
      }
      const m = (label: string, values: number[], unit = "MiB/s"): Measure => ({ label, unit, values });
      const ours = m("client.download", samples.client);
      const curl = m("curl", samples.curl);
      const nodeFetch = m("Node fetch piped to a file", samples.fetch);
      const nodeHttp = m("node:http piped to a file", samples.http);
      const r = (a: Measure) => median(pairRatios(a.values, curl.values)).toFixed(2);
      const peak = (values: number[]) => summarize(values).max.toFixed(1);
      return {
        runs: `${ctx.rounds} rounds of one ${size / MiB} MiB download per contender, rotating order`,
        notes: [
          `Server: node:http in a child process sending ${size / MiB} MiB of random bytes from memory; ${curlVersion.trim()}; files written to the OS temp directory and deleted after each download.`,
          "Each Node download runs in a fresh child process (the client bundled with esbuild, plain node); RSS growth = peak RSS (getrusage maxRSS, and 5 ms samples) minus RSS just before the download started.",
          "curl's time is its own time_total (connect to last byte); the Node figures time the download call (connect to file renamed).",
        ],
        rows: [
          {
            measure: `throughput, ${size / MiB} MiB from loopback`,
            ours,
            baseline: curl,
            ratio: pairRatios(ours.values, curl.values),
            target: { on: "ratio", op: ">=", value: 0.9 },
            note: `Node itself is the ceiling here: in the same run, Node's fetch piped to a file without the client reaches ${r(nodeFetch)}x curl and node:http ${r(nodeHttp)}x (one ${os.availableParallelism()}-core machine: the Node server shares the cores with each downloader).`,
          },
          {
            measure: "throughput of Node's own fetch piped to a file (no client) vs curl",
            ours: nodeFetch,
            baseline: curl,
            ratio: pairRatios(nodeFetch.values, curl.values),
          },
          {
            measure: "throughput of node:http piped to a file (no fetch) vs curl",
            ours: nodeHttp,
            baseline: curl,
            ratio: pairRatios(nodeHttp.values, curl.values),
          },
          {
            measure: "peak RSS growth of the Node process during the download",
            ours: m("client.download", growth.client, "MiB"),
            baseline: m("Node fetch piped to a file", growth.fetch, "MiB"),
            target: { on: "ours", of: "max", op: "<", value: 64 },
            note: `Without the client, Node's fetch piped to a file peaks at ${peak(growth.fetch)} MiB growth and node:http at ${peak(growth.http)} MiB, same run.`,
          },
          {
            measure: "peak RSS growth of node:http piped to a file (no fetch), for comparison",
            ours: m("node:http piped to a file", growth.http, "MiB"),
          },
        ],
      };
    } finally {
      await stop(server);
    }
  },
};
