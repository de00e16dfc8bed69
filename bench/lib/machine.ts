/** What machine a run measured on: printed with every run and stored with every result. */
import os from "node:os";
import type { MachineInfo } from "./types.js";

/** The machine's CPU, cores, Node version, memory and current load. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemoryMB: Math.round(os.totalmem() / 2 ** 20),
    loadAverage: Number((os.loadavg()[0] ?? 0).toFixed(2)),
  };
}

/** One line describing the machine. */
export function describeMachine(m: MachineInfo): string {
  return `${m.cores} cores (${m.cpuModel}), Node ${m.node}, ${m.platform}, ${m.totalMemoryMB} MB RAM, load ${m.loadAverage} at start`;
}
