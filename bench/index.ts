/** Every benchmark, in the order `npm run bench` runs them (the slow `npm test` timing last). */
import { bundleSize } from "./bundle.js";
import { download } from "./download.js";
import type { Benchmark } from "./lib/types.js";
import { mock } from "./mock.js";
import { npmTest } from "./npm-test.js";
import { overhead } from "./overhead.js";
import { polling } from "./polling.js";
import { queue } from "./queue.js";
import { scaling } from "./scaling.js";
import { validators } from "./validators.js";

/** The benchmarks by name. */
export const BENCHMARKS: readonly Benchmark[] = [
  overhead,
  validators,
  polling,
  download,
  bundleSize,
  mock,
  scaling,
  queue,
  npmTest,
];
