/** How a failed validation reads in an error message: the one formatter for every validator's findings. */
import type { ValidationIssue } from "../../generated/validators/runtime.js";

/** How many findings a message lists; the error's `issues` keeps them all. */
const SHOWN = 5;

/**
 * The first few findings, as `/pointer message` joined by `; ` (`/status must be equal to one of the allowed values`).
 * @example formatIssues(validateTaskDetail.errors)
 */
export function formatIssues(errors: readonly ValidationIssue[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, SHOWN)
    .map((i) => `${i.instancePath || "/"} ${i.message ?? i.keyword}`)
    .join("; ");
}
