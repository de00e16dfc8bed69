/**
 * Side-by-side timing of async calls on a shared machine: each round's calls go in blocks, the contenders interleaved
 * block by block in rotating order, so a burst of load from elsewhere hits every contender alike instead of whichever
 * happened to run then.
 */
import { nowMs } from "./stats.js";

/** One call of a contender (a GET, parsed). */
export type Call = () => Promise<unknown>;

/** Options of {@link timeInterleaved}. */
export interface InterleaveOptions {
  /** Sequential calls per contender per round. */
  calls: number;
  rounds: number;
  /** Calls per contender before measuring (JIT warm-up, connections open). */
  warmup: number;
  /** Calls per block. @default 100 */
  block?: number;
  /** Checks each contender's first answer (a wrong answer makes its speed meaningless). */
  check?: (name: string, first: unknown) => void;
  log?: (message: string) => void;
}

/**
 * Microseconds per call of each contender, one sample per round, in round order; the same for this process's CPU
 * time (user + system: what the call costs here, which load from other processes disturbs far less than wall time);
 * and the block size used.
 */
export async function timeInterleaved<N extends string>(
  contenders: Record<N, Call>,
  options: InterleaveOptions,
): Promise<{ perCall: Record<N, number[]>; cpuPerCall: Record<N, number[]>; perBlock: number }> {
  const { calls, rounds, warmup, block = 100, check, log } = options;
  const names = Object.keys(contenders) as N[];
  for (const name of names) {
    const call = contenders[name];
    const first = await call();
    check?.(name, first);
    for (let i = 0; i < warmup; i++) await call();
  }
  const perCall = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<N, number[]>;
  const cpuPerCall = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<N, number[]>;
  const blocks = Math.max(1, Math.round(calls / block));
  const perBlock = Math.ceil(calls / blocks);
  for (let round = 0; round < rounds; round++) {
    const spent = new Map<N, number>(names.map((n) => [n, 0]));
    const cpu = new Map<N, number>(names.map((n) => [n, 0]));
    for (let b = 0; b < blocks; b++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + b + round) % names.length] as N;
        const call = contenders[name];
        const c0 = process.cpuUsage();
        const t0 = nowMs();
        for (let i = 0; i < perBlock; i++) await call();
        spent.set(name, (spent.get(name) ?? 0) + nowMs() - t0);
        const used = process.cpuUsage(c0);
        cpu.set(name, (cpu.get(name) ?? 0) + used.user + used.system);
      }
    }
    for (const name of names) {
      perCall[name].push(((spent.get(name) ?? 0) * 1000) / (blocks * perBlock));
      cpuPerCall[name].push((cpu.get(name) ?? 0) / (blocks * perBlock));
    }
    log?.(`round ${round + 1}/${rounds}: ${names.map((n) => `${n} ${perCall[n].at(-1)?.toFixed(1)} µs`).join(", ")}`);
  }
  return { perCall, cpuPerCall, perBlock };
}
