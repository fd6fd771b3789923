/**
 * HTTP tools: server-side tools that call an HTTP API, configured one by one (`http_tools:`) or
 * imported from an OpenAPI 3.0/3.1 document (`openapi:`), with SSRF protection (allow_hosts,
 * refused private/reserved addresses checked at connect time, re-checked redirects) and limits
 * (timeout, response size). See docs/tools-http.md.
 */
export {
  httpToolSchema,
  openApiSourceSchema,
  parseHttpTool,
  HTTP_METHODS,
  MAX_REDIRECTS,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_MAX_RESPONSE_BYTES,
  type HttpToolConfig,
  type HttpToolInput,
  type HttpMethod,
  type OpenApiSource,
} from './schema.js';
export { createHttpTool, type HttpToolOptions } from './tool.js';
export { importOpenApi, OpenApiError, sanitizeName } from './openapi.js';
export { loadOpenApiDocument, openApiTools, httpTools, type LoadOptions } from './load.js';
export { blockedReason, isPublicAddress } from './address.js';
export {
  checkTarget,
  createSafeAgent,
  createSafeLookup,
  resolveChecked,
  isLocalhostName,
  parseHostPattern,
  hostAllowed,
  RefusedError,
  type Resolver,
  type ResolvedAddress,
  type HostPattern,
} from './ssrf.js';
export { buildHttpTools, httpFamily, httpToolsListSchema, openApiListSchema, type HttpToolSet, type HttpToolsConfig } from './family.js';
