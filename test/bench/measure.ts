// One figure per line, `bench <name>: <number> <unit>`, from a timed loop after a warm-up. Reported, never asserted.

export function measure(name: string, body: (i: number) => unknown, seconds = 1): number {
  for (let i = 0; i < 1000; i++) body(i);
  const budget = BigInt(Math.round(seconds * 1e9));
  const start = process.hrtime.bigint();
  let runs = 0;
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 100; i++) body(runs + i);
    runs += 100;
    elapsed = process.hrtime.bigint() - start;
  }
  const perSecond = Math.round((runs * 1e9) / Number(elapsed));
  console.log(`bench ${name}: ${perSecond} /s`);
  return perSecond;
}
