/**
 * A real Redis for tests: Debian's `redis-server` on a free loopback port with a temporary data directory, stopped
 * afterwards. Missing locally: the suite skips, saying so; missing with CI=true: the suite fails.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const REDIS_BIN = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";

/** Why Redis cannot run here, or null when it can. Under CI=true a missing Redis is an error, not a skip. */
export function redisMissing(): string | null {
  const ok = fs.existsSync(REDIS_BIN) && spawnSync(REDIS_BIN, ["--version"]).status === 0;
  if (ok) return null;
  const reason = `${REDIS_BIN} not found (apt-get install redis-server)`;
  if (process.env.CI === "true") throw new Error(`CI=true and ${reason}`);
  process.stderr.write(`[redis] SKIPPED: ${reason}\n`);
  return reason;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A running redis-server. */
export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts redis-server on a free loopback port; resolves once it answers PING. */
export async function startRedis(): Promise<TestRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kling-redis-"));
  const port = await freePort();
  const proc: ChildProcess = spawn(
    REDIS_BIN,
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.write("PING\r\n");
      });
      socket.on("data", (d) => {
        socket.destroy();
        resolve(d.toString().startsWith("+PONG"));
      });
      socket.on("error", () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await new Promise((resolve) => proc.once("exit", resolve));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
