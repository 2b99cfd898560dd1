// Reading a Grafana dashboard JSON for tests: every panel (rows' nested panels included),
// the variables it defines, and PromQL with the variables substituted the way Grafana
// would for "All" (multi-value regex `.*`), custom/textbox values, and the built-in
// intervals. An unknown variable throws, so a typo in a query fails the test.

export interface Target {
  refId: string;
  datasource?: { type: string; uid: string };
  expr?: string;
  namespace?: string;
  metricName?: string;
  statistic?: string;
  dimensions?: Record<string, string>;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  allValue?: string;
  includeAll?: boolean;
  datasource?: { type: string; uid: string };
  current?: { value?: string | string[] };
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

const BUILT_IN: Record<string, string> = { __rate_interval: "1m", __interval: "30s", __range: "10m" };

/** Values to substitute: "All" for query variables, the current value for custom and textbox ones. */
export function variableValues(d: Dashboard): Record<string, string> {
  const out: Record<string, string> = { ...BUILT_IN };
  for (const v of d.templating.list) {
    if (v.type === "query") out[v.name] = v.allValue ?? ".*";
    else if (v.type === "custom" || v.type === "textbox" || v.type === "constant") {
      const cur = v.current?.value;
      out[v.name] = (Array.isArray(cur) ? cur[0] : cur) ?? (typeof v.query === "string" ? v.query : "");
    }
  }
  return out;
}

export function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const v = values[name];
    if (v === undefined) throw new Error(`unknown dashboard variable $${name} in ${text}`);
    return v;
  });
}

/** `label_values(selector, label)` -> its parts (the form Grafana's Prometheus variables use). */
export function parseLabelValues(query: string): { selector: string; label: string } | undefined {
  const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query.trim());
  return m ? { selector: m[1]!.trim(), label: m[2]! } : undefined;
}
