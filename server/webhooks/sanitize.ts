// Strings from webhook payloads are shown in the dashboard and written to logs: strip control
// characters (which can forge log lines or hide text) and bound their length.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function sanitizeText(value: string, maxLength = 500): string {
  const cleaned = value.replace(CONTROL_CHARACTERS, " ").trim();
  return cleaned.length > maxLength ? `${cleaned.slice(0, maxLength - 1)}…` : cleaned;
}
