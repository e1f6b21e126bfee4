export interface Target {
  name: string;
  limit: string;
  measured: string;
  met: boolean;
}

export function target(
  name: string,
  measured: number,
  limit: number,
  unit: string,
  higherIsBetter = false,
): Target {
  const met = higherIsBetter ? measured >= limit : measured <= limit;
  const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
  return {
    name,
    limit: `${higherIsBetter ? '≥' : '≤'} ${fmt(limit)} ${unit}`,
    measured: `${fmt(measured)} ${unit}`,
    met,
  };
}
