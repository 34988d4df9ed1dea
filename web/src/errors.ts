// Turns an API error into what a form shows: a message next to the field the server
// named (extensions.field), or one message for the whole form.
import type { CombinedError } from 'urql';

export type FormErrors = { fields: Record<string, string>; general?: string };

export function formErrors(error: CombinedError | undefined, fieldNames: string[]): FormErrors {
  if (!error) return { fields: {} };
  if (error.networkError) {
    return { fields: {}, general: 'The server could not be reached. Check your connection.' };
  }
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const e of error.graphQLErrors) {
    const field = e.extensions?.field;
    if (typeof field === 'string' && fieldNames.includes(field) && !fields[field]) {
      fields[field] = e.message;
    } else {
      general.push(e.message);
    }
  }
  return { fields, general: general.length ? general.join(' ') : undefined };
}

/** A server that does not have a field yet answers "Cannot query field …" (validation). */
export function isMissingField(error: CombinedError | undefined): boolean {
  return !!error?.graphQLErrors.some((e) => e.message.startsWith('Cannot query field'));
}
