/**
 * What happens to every observation and score before it is written, whatever path it came by
 * (gateway recorder, OTLP, Langfuse, SDK, API): payloads are redacted, then the cost is priced.
 */
import type { Score } from '../store/scores.js';
import type { Observation } from './span.js';
import type { Redactor } from './redact.js';

export interface Preparer {
  observation(o: Observation): Observation;
  score(s: Score): Score;
}

export interface PrepareOptions {
  redactor: Redactor | null;
  /** Sets cost, cost_details and price_version on an observation (tracing/cost.ts). */
  price(o: Observation): void;
}

export function createPreparer({ redactor, price }: PrepareOptions): Preparer {
  return {
    observation(o) {
      if (redactor) {
        o.input = redactor.value(o.input);
        o.output = redactor.value(o.output);
        o.metadata = redactor.value(o.metadata) as Observation['metadata'];
        if (o.error) o.error = redactor.text(o.error);
      }
      price(o);
      return o;
    },
    score(s) {
      if (redactor) {
        if (s.comment) s.comment = redactor.text(s.comment);
        if (s.data_type === 'TEXT' && s.string_value) s.string_value = redactor.text(s.string_value);
        s.metadata = redactor.value(s.metadata) as Score['metadata'];
      }
      return s;
    },
  };
}
