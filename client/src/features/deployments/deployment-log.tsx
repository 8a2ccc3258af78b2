import { useLayoutEffect, useMemo, useRef, useState } from "react";
import { ErrorState } from "../../components/query-state.tsx";
import type { LogLine } from "./deployment-types.ts";
import { formatClock } from "./format.ts";
import "./deployments.css";

/** How close to the bottom (px) still counts as "at the bottom" for following. */
const BOTTOM_SLACK = 16;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The text with every match of `pattern` marked; `pattern` has one capturing group. */
function Highlighted({ text, pattern }: { text: string; pattern: RegExp | null }) {
  if (!pattern) return text;
  // split() with a capturing group puts the matches at the odd indexes.
  return text.split(pattern).map((part, index) => (index % 2 === 1 ? <mark key={index}>{part}</mark> : part));
}

/**
 * The live log: monospace lines with time, step and level; a search that keeps only matching lines and
 * marks the matches; "Follow" keeps the newest line in view until the person scrolls up.
 */
export function DeploymentLog({
  lines,
  loading,
  ended,
  reconnecting,
  error,
  onRetry,
}: {
  lines: readonly LogLine[];
  loading: boolean;
  ended: boolean;
  reconnecting: boolean;
  error: unknown;
  onRetry: () => void;
}) {
  const [query, setQuery] = useState("");
  const [follow, setFollow] = useState(true);
  const container = useRef<HTMLDivElement>(null);
  const needle = query.trim();
  const pattern = useMemo(() => (needle ? new RegExp(`(${escapeRegExp(needle)})`, "i") : null), [needle]);
  const shown = useMemo(
    () => (pattern ? lines.filter((line) => pattern.test(line.text)) : lines),
    [lines, pattern],
  );

  useLayoutEffect(() => {
    const element = container.current;
    if (follow && element) element.scrollTop = element.scrollHeight;
  }, [follow, shown]);

  function onScroll() {
    const element = container.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= BOTTOM_SLACK;
    if (follow && !atBottom) setFollow(false);
    else if (!follow && atBottom) setFollow(true);
  }

  return (
    <section aria-labelledby="log-heading" className="stack-tight">
      <div className="section-header">
        <h2 id="log-heading">Log</h2>
        <span className="muted small">
          {ended ? "Complete" : reconnecting ? "Reconnecting…" : <span className="log-live">Live</span>}
        </span>
      </div>
      <div className="log-toolbar">
        <label className="field inline">
          <span>Search</span>
          <input
            type="search"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            placeholder="Filter lines"
            aria-controls="deployment-log"
            spellCheck={false}
          />
        </label>
        <label className="log-follow">
          <input type="checkbox" checked={follow} onChange={(event) => setFollow(event.target.checked)} />{" "}
          Follow
        </label>
        <span className="muted small push-right" aria-live={needle ? "polite" : "off"}>
          {needle
            ? `${shown.length} of ${lines.length} ${lines.length === 1 ? "line" : "lines"} match`
            : `${lines.length} ${lines.length === 1 ? "line" : "lines"}`}
        </span>
      </div>
      {error ? <ErrorState error={error} onRetry={onRetry} /> : null}
      {/* Not announced line by line: the status badge above says what matters as it changes. */}
      <div
        ref={container}
        id="deployment-log"
        className="deployment-log"
        data-testid="deployment-log"
        role="log"
        aria-live="off"
        aria-label="Deployment log"
        aria-busy={loading}
        tabIndex={0}
        onScroll={onScroll}
      >
        {shown.map((line) => (
          <div key={line.seq} className={`log-line log-${line.level}`}>
            <time className="log-time" dateTime={line.at.toISOString()} title={line.at.toLocaleString()}>
              {formatClock(line.at)}
            </time>
            <span className="log-step">{line.step}</span>
            {line.level === "info" ? null : <span className="log-level">{line.level}</span>}
            <span className="log-text">
              <Highlighted text={line.text} pattern={pattern} />
            </span>
          </div>
        ))}
        {shown.length === 0 ? (
          <p className="log-placeholder">
            {loading
              ? "Loading the log…"
              : needle && lines.length > 0
                ? `No lines match “${needle}”.`
                : ended
                  ? "This deployment wrote no log."
                  : "Waiting for output…"}
          </p>
        ) : null}
      </div>
    </section>
  );
}
