import { formatRelativeTime } from "./format.ts";

/** "3 minutes ago", with the exact time on hover and in the markup. */
export function RelativeTime({ date, now }: { date: Date; now: number }) {
  return (
    <time dateTime={date.toISOString()} title={date.toLocaleString()}>
      {formatRelativeTime(date, now)}
    </time>
  );
}
