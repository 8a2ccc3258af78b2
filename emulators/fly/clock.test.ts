import { describe, expect, test } from "vitest";
import { Clock } from "./clock.ts";

describe("Clock", () => {
  test("emulated time runs timeScale times faster than real time", async () => {
    const clock = new Clock(100);
    const start = clock.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(clock.now() - start).toBeGreaterThanOrEqual(4_000);
  });

  test("changing the scale re-arms pending timers at the new speed", async () => {
    const clock = new Clock(1);
    let fired = false;
    clock.schedule(60_000, () => (fired = true));
    clock.setTimeScale(10_000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fired).toBe(true);
  });

  test("cancelled timers never fire; invalid scales are refused", async () => {
    const clock = new Clock(1_000);
    let fired = 0;
    const cancel = clock.schedule(10, () => (fired += 1));
    clock.schedule(10, () => (fired += 1));
    cancel();
    clock.cancelAll();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fired).toBe(0);
    expect(() => clock.setTimeScale(0)).toThrow(RangeError);
  });
});
