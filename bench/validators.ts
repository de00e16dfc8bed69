/**
 * 1b. The validators' cost per response alone: the precompiled generated/validators.ts against ajv compiling the
 * same spec schemas at run time (same options), on the spec's TaskDetail examples, alternating each round. Also the
 * one-off compile time that precompiling removes from start-up.
 */
import { operations } from "../generated/operations.js";
import { validateTaskDetail } from "../generated/validators.js";
import { compileAtRuntime, specDefs } from "./lib/runtime-ajv.js";
import { nowMs, pairRatios } from "./lib/stats.js";
import type { Benchmark, Measure } from "./lib/types.js";

const examples = operations.getTaskDetail.responses["200"].body.examples;

export const validators: Benchmark = {
  name: "validators",
  title: "response validation cost: precompiled ajv vs ajv compiled at run time",
  async run(ctx) {
    const iterations = ctx.smoke ? 300 : 300_000;
    const defs = specDefs();
    const runtime = compileAtRuntime(defs, "TaskDetail");
    const bodies: unknown[] = [examples.video_completed, examples.video_processing, examples.video_failed];
    const broken = { ...examples.video_completed, results: [] };
    // Both must agree before their speed means anything: accept the spec's examples, reject a broken body.
    for (const body of bodies) {
      if (!validateTaskDetail(body) || !runtime(body)) throw new Error(`a validator rejects ${JSON.stringify(body)}`);
    }
    if (validateTaskDetail(broken) || runtime(broken)) throw new Error("a validator accepts completed with no results");

    // One loop function per validator, so each call site sees one function (a shared site would turn polymorphic
    // and slow down whichever V8 saw second); the bodies are parsed JSON, as a response body is.
    const parsed = bodies.map((b) => JSON.parse(JSON.stringify(b)) as unknown);
    const loops = {
      precompiled(n: number): number {
        let ok = 0;
        for (let i = 0; i < n; i++) ok += validateTaskDetail(parsed[i % 3]) ? 1 : 0;
        return ok;
      },
      runtime(n: number): number {
        let ok = 0;
        for (let i = 0; i < n; i++) ok += runtime(parsed[i % 3]) ? 1 : 0;
        return ok;
      },
    };
    const names = Object.keys(loops) as (keyof typeof loops)[];
    const perCall = { precompiled: [] as number[], runtime: [] as number[] };
    const compileMs: number[] = [];
    let sink = 0;
    for (const name of names) sink += loops[name](iterations / 10);
    const blocks = 30;
    const perBlock = iterations / blocks;
    for (let round = 0; round < ctx.rounds; round++) {
      const spent = { precompiled: 0, runtime: 0 };
      // Interleaved in blocks, alternating which goes first, so load from elsewhere hits both alike.
      for (let block = 0; block < blocks; block++) {
        const order = (block + round) % 2 === 0 ? names : [...names].reverse();
        for (const name of order) {
          const t0 = nowMs();
          sink += loops[name](perBlock);
          spent[name] += nowMs() - t0;
        }
      }
      for (const name of names) perCall[name].push((spent[name] * 1e6) / iterations);
      const t0 = nowMs();
      compileAtRuntime(defs, "TaskDetail");
      compileMs.push(nowMs() - t0);
      ctx.log(
        `round ${round + 1}/${ctx.rounds}: precompiled ${perCall.precompiled.at(-1)?.toFixed(0)} ns, runtime ${perCall.runtime.at(-1)?.toFixed(0)} ns`,
      );
    }
    if (sink !== (iterations / 10) * 2 + iterations * 2 * ctx.rounds) throw new Error("a validator changed its mind");
    const pre: Measure = { label: "precompiled", unit: "ns/response", values: perCall.precompiled };
    const rt: Measure = { label: "ajv compiled at run time", unit: "ns/response", values: perCall.runtime };
    return {
      runs: `${ctx.rounds} rounds of ${iterations.toLocaleString("en-US")} validations each, interleaved in 30 blocks`,
      notes: [
        "Bodies: the spec's video_completed, video_processing and video_failed TaskDetail examples (parsed JSON) in turn, one loop function per validator. Both validators use JSON Schema 2020-12, strict, ajv-formats, allErrors.",
        "Run-time compiling also needs `new Function`, which a strict Content-Security-Policy forbids; the precompiled module does not.",
      ],
      rows: [
        {
          measure: "TaskDetail validation per response",
          ours: pre,
          baseline: rt,
          ratio: pairRatios(pre.values, rt.values),
        },
        {
          measure: "one-off compile of the spec's schemas at run time (start-up cost precompiling removes)",
          ours: { label: "ajv compile", unit: "ms", values: compileMs },
        },
      ],
    };
  },
};
