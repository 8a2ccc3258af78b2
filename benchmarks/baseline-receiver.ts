// The baseline for the webhook benchmark: a bare Express route that verifies the signature and answers
// 202 without persisting anything. Hangar's receiver is compared against it in the same run.
import { createHmac, timingSafeEqual } from "node:crypto";
import express from "express";

const secret = process.env.BASELINE_WEBHOOK_SECRET ?? "";
const port = Number(process.env.BASELINE_PORT ?? 0);

const app = express();
app.post("/api/webhooks/github", express.raw({ type: () => true, limit: "5mb" }), (req, res) => {
  const header = req.get("x-hub-signature-256") ?? "";
  const expected = Buffer.from(header.slice("sha256=".length), "hex");
  const actual = createHmac("sha256", secret)
    .update(req.body as Buffer)
    .digest();
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    res.status(401).json({ code: "UNAUTHORIZED" });
    return;
  }
  res.status(202).json({ deliveryId: req.get("x-github-delivery") });
});
const server = app.listen(port, "127.0.0.1", () => {
  const address = server.address();
  console.log(
    JSON.stringify({ ready: true, port: typeof address === "object" && address ? address.port : port }),
  );
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
