/**
 * @assay/sdk: report traces from your app to Assay.
 *
 *   const assay = new Assay();                       // ASSAY_URL, ASSAY_API_KEY
 *   await assay.observe('answer', async () => …);    // nested observations through async context
 *   const openai = assay.wrapOpenAI(new OpenAI());   // model calls become generations
 *   await assay.score({ name: 'helpful', value: 1 });
 */
export { Assay, type AssayOptions, type GenerationOptions, type ObserveOptions, type WrapOptions } from './client.js';
export { Observation, type ObservationUpdate, type TraceAttributes } from './observation.js';
export { AssayError, type ScoreDataType, type ScoreInput } from './score.js';
export type { WrapOpenAIOptions } from './openai.js';
export type { Level, ObservationType, Usage } from './attributes.js';
