/**
 * The message of a request that failed its route's JSON schema, written to say what to send: the allowed values of
 * an enum, the shape of a date, the fields an object takes. Ajv's own text (`must be equal to one of the allowed
 * values`, `must match format "date"`) names the rule but not the fix.
 *
 * Input: the errors Ajv reports (fastify passes them as `err.validation`, with `err.validationContext`: `body`,
 * `querystring`, `params`, `headers`); the API's Ajv runs with `verbose`, so each carries `data` and `parentSchema`.
 */
import { PRINTABLE_LINE_PATTERN } from './schemas';

/** The fields of an Ajv ErrorObject used here. */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  data?: unknown;
  parentSchema?: { description?: string; properties?: Record<string, unknown>; type?: unknown };
}

/** What a value of a string format looks like (the formats the API's schemas use, ajv-formats). */
const FORMAT_SHAPES: Record<string, string> = {
  date: 'a date as YYYY-MM-DD (UTC), e.g. 2026-11-24',
  'date-time': 'a time in ISO 8601 with its offset, e.g. 2026-11-24T09:30:00Z',
  uri: 'an absolute URI, e.g. https://example.org/feed',
};

/** Why a string breaks PRINTABLE_LINE_PATTERN, and what to send instead. */
function printableProblem(text: string): string {
  if (text.includes('\ufffd'))
    return 'is not UTF-8: it holds bytes that decode to U+FFFD (the replacement character); send the text UTF-8 encoded (percent-encode its UTF-8 bytes in a URL)';
  return 'must be one line of printable text: remove its control characters (newline, tab, NUL, ...)';
}

/** A value as it was sent, short enough for one line. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * One sentence for the first schema error of a request: where (`querystring/from`, `body/source`, `body`), what is
 * wrong and what to send instead, with the value that was sent.
 * @param context fastify's validationContext; `body` when unknown
 */
export function describeSchemaError(errors: readonly SchemaError[], context = 'body'): string {
  const e = errors[0];
  if (!e) return `${context} is not valid`;
  const where = `${context}${e.instancePath}`;
  const got = e.data === undefined ? '' : `, got ${shown(e.data)}`;
  const about = e.parentSchema?.description ? ` (${e.parentSchema.description})` : '';
  switch (e.keyword) {
    case 'enum':
      return `${where} must be one of ${(e.params.allowedValues as unknown[]).map((v) => shown(v)).join(', ')}${got}`;
    case 'format': {
      const format = String(e.params.format);
      return `${where} must be ${FORMAT_SHAPES[format] ?? `in the format "${format}"`}${got}`;
    }
    case 'pattern':
      if (e.params.pattern === PRINTABLE_LINE_PATTERN) return `${where} ${printableProblem(String(e.data))}${got}`;
      return `${where} does not have the expected form${about}: it must match ${String(e.params.pattern)}${got}`;
    case 'additionalProperties': {
      const allowed = Object.keys(e.parentSchema?.properties ?? {});
      const what = context === 'querystring' && e.instancePath === '' ? 'parameter' : 'field';
      return `${where} has an unknown ${what} ${shown(e.params.additionalProperty)}${allowed.length ? `; the ${what}s are ${allowed.join(', ')}` : ''}`;
    }
    case 'required':
      return `${where} must have the field ${shown(e.params.missingProperty)}`;
    case 'type':
      if (context === 'body' && e.instancePath === '' && e.params.type === 'object')
        return 'the request body must be a JSON object, sent with Content-Type: application/json';
      return `${where} must be of type ${String(e.params.type)}${got}`;
    default:
      return `${where} ${e.message ?? 'is not valid'}${about}${got}`;
  }
}
