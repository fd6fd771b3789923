/**
 * Verification benchmark (docs/verify-benchmark.md). Two modes over one synthetic arithmetic set:
 *
 * - simulation (default, sim.ts; its scenarios in sim-scenarios.ts): a stochastic fake model
 *   in-process, every strategy measured against the independence theory (theory.ts); writes its
 *   table into docs/benchmarks.md.
 *     npm run bench:verify [-- --n=2000] [--program-n=1000] [--seed=20261126] [--p=0.65] [--q=0.25] [--no-write]
 *
 * - live (--live, live.ts; its statistics and table in live-report.ts): any real model through a
 *   running Assay over HTTP, each strategy beside what the same theory predicts from the model's
 *   own baseline; prints only.
 *     npm run bench:verify -- --live --url=http://127.0.0.1:4141 --model=<route or provider/model>
 *       [--key=$ASSAY_API_KEY] [--n=100] [--concurrency=4] [--strategies=baseline,schema,vote,program,judge]
 *       [--samples=5] [--retries=2] [--attempts=3] [--vote-temperature=0.7] [--seed=20261126] [--timeout-ms=120000]
 */
const argv = process.argv.slice(2);
if (argv.includes('--live')) {
  const { live } = await import('./live.js');
  await live(argv);
} else {
  const { simulate } = await import('./sim.js');
  await simulate(argv);
}
