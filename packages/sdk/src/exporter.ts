/** A span exporter that says when an export fails, instead of the OTel default of logging nothing. */
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];

/** ExportResultCode.SUCCESS in @opentelemetry/core. */
const SUCCESS = 0;

export class ReportingExporter implements SpanExporter {
  /** Errors already reported, so a flush that fails with one of them does not report it twice. */
  readonly reported = new WeakSet<object>();

  constructor(
    private readonly inner: SpanExporter,
    private readonly host: string,
    private readonly onError: (err: Error) => void,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== SUCCESS) {
        if (result.error) this.reported.add(result.error);
        this.onError(this.describe(spans.length, result.error));
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  private describe(count: number, error: Error | undefined): Error {
    const e = error as (Error & { code?: unknown; data?: unknown }) | undefined;
    let reason = e?.message || 'unknown error';
    if (typeof e?.code === 'number') {
      reason = `HTTP ${e.code}`;
      const body = typeof e.data === 'string' ? e.data : '';
      try {
        const parsed = JSON.parse(body) as { message?: string; error?: { message?: string } };
        const message = parsed.error?.message ?? parsed.message;
        if (message) reason += `: ${message}`;
      } catch {
        if (body) reason += `: ${body.slice(0, 300)}`;
      }
      if (e.code === 401 || e.code === 403) reason += ' (check the API key and that it has the ingest scope)';
    }
    return new Error(`could not send ${count} span(s) to ${this.host}/v1/traces: ${reason}`);
  }
}
