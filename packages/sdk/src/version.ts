/** Reported as telemetry.sdk.version and the tracer's version. Keep in step with package.json. */
export const SDK_VERSION = '0.1.0';
