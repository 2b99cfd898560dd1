// CloudWatch as the emulation reads it: EMF lines from Powertools Metrics, and an
// alarm's state over its evaluation periods.
import { describe, expect, it } from "vitest";
import { alarmState, emfDatapoints } from "../src/metrics";
import type { AlarmModel } from "../src/stack-model";

const alarm = (over: Partial<AlarmModel> = {}): AlarmModel => ({
  logicalName: "A",
  name: "a",
  namespace: "ScrapeReconciler",
  metricName: "StaleTargets",
  dimensions: { service: "x" },
  comparisonOperator: "GreaterThanThreshold",
  threshold: 0,
  evaluationPeriods: 2,
  ...over,
});

describe("emfDatapoints", () => {
  it("reads every metric of an EMF line under each of its dimension sets", () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [
          {
            Namespace: "ScrapeReconciler",
            Dimensions: [["service"]],
            Metrics: [
              { Name: "StaleTargets", Unit: "Count" },
              { Name: "Lat", Unit: "Milliseconds" },
            ],
          },
        ],
      },
      service: "x",
      StaleTargets: 3,
      Lat: [5, 7],
    });
    expect(emfDatapoints(`2026-12-05T00:00:00Z\tid\tINFO\t${line}`).map((d) => [d.name, d.value, d.dimensions])).toEqual([
      ["StaleTargets", 3, { service: "x" }],
      ["Lat", 5, { service: "x" }],
      ["Lat", 7, { service: "x" }],
    ]);
    expect(emfDatapoints('{"level":"INFO","message":"no metrics"}')).toEqual([]);
  });
});

describe("alarmState", () => {
  it("needs evaluationPeriods breaching values in a row", () => {
    expect(alarmState(alarm(), [])).toBe("INSUFFICIENT_DATA");
    expect(alarmState(alarm(), [1])).toBe("OK");
    expect(alarmState(alarm(), [0, 1])).toBe("OK");
    expect(alarmState(alarm(), [1, 1])).toBe("ALARM");
    expect(alarmState(alarm(), [1, 1, 0])).toBe("OK");
    expect(alarmState(alarm({ evaluationPeriods: 1, comparisonOperator: "LessThanThreshold", threshold: 5 }), [4])).toBe("ALARM");
  });
});
