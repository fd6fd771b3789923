/** A zod string that must compile as a JavaScript regular expression (config and API inputs). */
import { z } from 'zod';

export function regexSource(what: string) {
  return z
    .string()
    .min(1)
    .refine(
      (p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      },
      { message: `${what} is not a valid regular expression` },
    );
}
