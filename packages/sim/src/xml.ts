// A minimal XML writer for the S3 (REST-XML), EC2 and awsQuery (RDS, ElastiCache) responses.

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

export type XmlValue = string | number | boolean | Date | undefined | null | XmlNode | XmlValue[];
export interface XmlNode {
  [name: string]: XmlValue;
}

/**
 * Renders `{Name: value}` pairs: a string/number becomes text, a Date ISO-8601, an object
 * nested elements, an array repeats the element, undefined/null is left out.
 */
export function renderXml(node: XmlNode): string {
  let out = "";
  for (const [name, value] of Object.entries(node)) out += renderValue(name, value);
  return out;
}

function renderValue(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((v) => renderValue(name, v)).join("");
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === "object") return `<${name}>${renderXml(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function xmlDocument(root: string, body: XmlNode, xmlns?: string): string {
  const attr = xmlns ? ` xmlns="${xmlns}"` : "";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${attr}>${renderXml(body)}</${root}>`;
}
