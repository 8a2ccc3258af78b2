/** Minimal server-rendered pages; no build step, no client framework. */

export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const STYLE = `
  body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { background: #24292f; color: #fff; padding: 12px 24px; font-weight: 600; }
  header small { font-weight: 400; opacity: .7; margin-left: 8px; }
  main { max-width: 1100px; margin: 24px auto; padding: 0 16px; }
  .box { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 16px 20px; margin-bottom: 16px; }
  h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 0; }
  button, .button { background: #1f883d; color: #fff; border: 1px solid rgba(31,35,40,.15); border-radius: 6px; padding: 5px 14px; font-weight: 600; cursor: pointer; font-size: 13px; }
  button.secondary { background: #f6f8fa; color: #24292f; }
  button.danger { background: #cf222e; }
  input[type=text], select, textarea { border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 8px; font: inherit; }
  textarea { width: 100%; min-height: 60px; font-family: ui-monospace, monospace; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
  code { font-family: ui-monospace, monospace; font-size: 12px; background: #eff1f3; padding: 1px 4px; border-radius: 4px; }
  .ok { color: #1a7f37; } .bad { color: #cf222e; } .muted { color: #59636e; }
  form.inline { display: inline; }
  label { margin-right: 12px; }
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><header>GitHub <small>emulated for Hangar</small></header><main>${body}</main></body>
</html>`;
}

export function hiddenInputs(values: Record<string, string | undefined>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("");
}
