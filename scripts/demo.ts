/**
 * `npm run demo`: the main job end to end (submit an edit, watch its progress, download the result).
 *
 * Without KLING_API_KEY it runs against the built-in mock (no key, no network). With KLING_API_KEY it runs against
 * the live API, which bills the task, so it also needs the video to edit: KLING_DEMO_VIDEO_URL (an https .mp4/.mov);
 * a key without a video URL falls back to the mock and says so, rather than billing an edit of a placeholder URL.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../dist/src/cli/main.js", import.meta.url));
const out = ".tmp/demo/edited.mp4";
const prompt = process.env.KLING_DEMO_PROMPT ?? "Make the video more cinematic";
const liveVideo = process.env.KLING_DEMO_VIDEO_URL;
const live = Boolean(process.env.KLING_API_KEY && liveVideo);

if (process.env.KLING_API_KEY && !liveVideo) {
  console.error("KLING_API_KEY is set, but a live demo is billed and needs KLING_DEMO_VIDEO_URL (the video to edit).");
  console.error("Running against the built-in mock instead.\n");
}
const args = live
  ? ["edit", "--wait", "--out", out, "--prompt", prompt, "--video", liveVideo ?? ""]
  : ["edit", "--mock", "--wait", "--out", out, "--prompt", prompt, "--video", "https://example.com/original-video.mp4"];
const env = live ? process.env : { ...process.env, KLING_MOCK_SPEED: process.env.KLING_MOCK_SPEED ?? "40" };
const child = spawn(process.execPath, [cli, ...args], { stdio: "inherit", env });
// Ctrl-C reaches the child through the process group; the demo exits with whatever the CLI decided.
process.on("SIGINT", () => {});
child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 1)));
