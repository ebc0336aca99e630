/**
 * How zod's findings are put into words, the same way wherever input is checked: `path: message`,
 * the path dotted (`sms.dispatch.concurrency`), or the bare message where the whole value is wrong.
 */
import type { z } from 'zod';

type ZodIssue = z.ZodError['issues'][number];

const issuePath = (issue: ZodIssue): string => issue.path.join('.');

/** Every issue in words, joined with "; ". */
export function describeZodError(err: z.ZodError): string {
  return err.issues
    .map((i) => {
      const where = issuePath(i);
      return where ? `${where}: ${i.message}` : i.message;
    })
    .join('; ');
}

/** The first issue: the field it names (its dotted path, else `root`) and the issue in words. */
export function firstIssue(err: z.ZodError, root: string): { field: string; message: string } {
  const issue = err.issues[0];
  const field = (issue && issuePath(issue)) || root;
  return { field, message: `${field}: ${issue?.message ?? 'invalid'}` };
}
