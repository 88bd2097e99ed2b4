/**
 * The calendar rules of every time input, written once for the SDK and the CLI (it imports nothing,
 * so the tasks can load it before the contracts' types exist).
 */

/** Times are stored as `uint40` seconds: every time is below this. */
export const TIME_LIMIT = 2 ** 40;

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/**
 * Why `year`-`month`-`day` is not a day a time can fall on, as the end of a sentence that starts with
 * the input ("is before 1970", "is not a date: there is no month 13", "is not a date: February 2030
 * has 28 days"); undefined when it is one. `month` and `day` are given as written (e.g. "00").
 */
export function dayProblem(year: string, month: string, day: string): string | undefined {
  const [y, m, d] = [Number(year), Number(month), Number(day)];
  if (y < 1970) return "is before 1970";
  if (m < 1 || m > 12) return `is not a date: there is no month ${month}`;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d < 1 || d > days) return `is not a date: ${MONTHS[m - 1]} ${y} has ${days} days`;
  return undefined;
}
