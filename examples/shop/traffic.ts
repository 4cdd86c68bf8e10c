/** Simulated shoppers paying at a steady rate; prints, every second, who got which flow and how it went. */
export interface TrafficOptions {
  shopUrl: string;
  shoppers: number;
  paymentsPerSecond: number;
}

export function startTraffic(options: TrafficOptions): { stop(): void } {
  let window = { new: 0, old: 0, newErrors: 0, oldErrors: 0 };
  let next = 0;
  const pay = async () => {
    const shopper = `shopper-${(next++ % options.shoppers) + 1}`;
    try {
      const response = await fetch(`${options.shopUrl}/api/pay`, {
        method: 'POST',
        headers: { cookie: `shopper=${shopper}` },
      });
      const { flow } = (await response.json()) as { flow: 'new' | 'old' };
      window[flow]++;
      if (!response.ok) window[flow === 'new' ? 'newErrors' : 'oldErrors']++;
    } catch {
      // The shop is restarting or gone: the next tick tries again.
    }
  };
  const arrivals = setInterval(() => void pay(), 1000 / options.paymentsPerSecond);
  const report = setInterval(() => {
    const total = window.new + window.old;
    const share = total === 0 ? 0 : (100 * window.new) / total;
    process.stdout.write(
      `[shoppers] last second: ${total} payments, ${share.toFixed(1)}% on the new flow` +
        ` | failed: new ${window.newErrors}, old ${window.oldErrors}\n`,
    );
    window = { new: 0, old: 0, newErrors: 0, oldErrors: 0 };
  }, 1000);
  return {
    stop() {
      clearInterval(arrivals);
      clearInterval(report);
    },
  };
}
