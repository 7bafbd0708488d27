import type { z } from 'zod';

/** A problem with a request or a config, named by its key path (`sampler.args.n_labels`). */
export interface Issue {
  path: string;
  message: string;
}

/** The one conversion of zod's issues into ours; `root` names the whole value when the path is empty. */
export function zodIssues(error: z.ZodError, root = '(root)'): Issue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || root, message: i.message }));
}

/** `path: message; path: message`, each optionally prefixed with where it came from (a file name). */
export function formatIssues(issues: readonly Issue[], separator = '; ', source?: string): string {
  return issues.map((i) => `${source ? `${source}: ` : ''}${i.path}: ${i.message}`).join(separator);
}
