// Reading JSON from the server defensively: a field that is missing or of another type reads as
// null, so a small change in an answer's shape shows as "–" rather than breaking a page.

export type Json = Record<string, unknown>;

export function asObject(value: unknown): Json | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
}

export function asNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

// The first of `names` that is a number in `object`.
export function firstNumber(object: Json | null, ...names: string[]): number | null {
  for (const name of names) {
    const value = asNumber(object?.[name]);
    if (value !== null) return value;
  }
  return null;
}
