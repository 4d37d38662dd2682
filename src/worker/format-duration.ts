// Fetch worker. Formats milliseconds the way durations are written in configuration, so that a
// failure line can name the setting's value as the operator would write it.
export function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
