// errno as verdict messages show it, over the case loader's table (runner/cases/errno.ts).
import { errnoName } from '../cases/errno.js';

/** `success` for 0, else `EINVAL (22)`, or `errno 999` for an unknown number. */
export function errnoText(n: number): string {
  if (n === 0) return 'success';
  const name = errnoName(n);
  return name ? `${name} (${n})` : `errno ${n}`;
}
