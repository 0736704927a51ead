import type { z } from 'zod';
import { ApiError } from './problem.js';

/** Parses a request part with its schema: 400 VALIDATION_FAILED listing the first problems, where they are. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'path' | 'query' | 'body'): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.slice(0, 10).map((issue) => ({
    in: where,
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const first = problems[0];
  const detail = first ? `${where}${first.path ? `.${first.path}` : ''}: ${first.message}` : `invalid ${where}`;
  throw new ApiError(400, 'VALIDATION_FAILED', detail, { errors: problems });
}
